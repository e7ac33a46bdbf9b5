// RUN: %check-attention %s --function lengths --args q,k,v,kv_lengths --kv-lengths 0,13 --scale 0.35355339059327373 --causal
// RUN: %check-attention %s --function bool_mask --args q,k,v,mask --empty-mask-row --scale 0.35355339059327373

// Rows with every key masked give 0, never NaN: a batch whose valid length is
// 0, and query 0 whose boolean mask row is all false.

func.func @lengths(%q: tensor<2x2x3x8xf32>, %k: tensor<2x2x20x8xf32>, %v: tensor<2x2x20x8xf32>, %len: tensor<2xi32>) -> tensor<2x2x3x8xf32> {
  %init = tensor.empty() : tensor<2x2x3x8xf32>
  %o = attn.attention queries(%q : tensor<2x2x3x8xf32>) keys(%k : tensor<2x2x20x8xf32>)
         values(%v : tensor<2x2x20x8xf32>) kv_lengths(%len : tensor<2xi32>) outs(%init : tensor<2x2x3x8xf32>)
         scale(0.35355339059327373 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<2x2x3x8xf32>
  return %o : tensor<2x2x3x8xf32>
}

func.func @bool_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x20x8xf32>, %v: tensor<1x2x20x8xf32>, %mask: tensor<1x1x4x20xi1>) -> tensor<1x2x4x8xf32> {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  %o = attn.attention queries(%q : tensor<1x2x4x8xf32>) keys(%k : tensor<1x2x20x8xf32>)
         values(%v : tensor<1x2x20x8xf32>) mask(%mask : tensor<1x1x4x20xi1>) outs(%init : tensor<1x2x4x8xf32>)
         scale(0.35355339059327373 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, t)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}
