// RUN: %check-attention %s --layout bshd --scale 0.25 --causal

// [B, S, H, D] layout: the maps permute, the iteration space stays (b, h, s, ...),
// so the query position is still the innermost M dimension.

func.func @main(%q: tensor<1x6x4x16xf32>, %k: tensor<1x24x2x16xf32>, %v: tensor<1x24x2x16xf32>) -> tensor<1x6x4x16xf32> {
  %init = tensor.empty() : tensor<1x6x4x16xf32>
  %o = attn.attention queries(%q : tensor<1x6x4x16xf32>) keys(%k : tensor<1x24x2x16xf32>)
         values(%v : tensor<1x24x2x16xf32>) outs(%init : tensor<1x6x4x16xf32>)
         scale(0.25 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, s, h, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, t, h, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, t, h, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, s, h, e)>]
         -> tensor<1x6x4x16xf32>
  return %o : tensor<1x6x4x16xf32>
}
