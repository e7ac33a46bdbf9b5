// RUN: %check-attention %s --scale 0.25 --causal

// Causal, bottom-right aligned: S = 7 queries against T = 40 keys, with GQA.

func.func @main(%q: tensor<1x4x7x16xf32>, %k: tensor<1x2x40x16xf32>, %v: tensor<1x2x40x16xf32>) -> tensor<1x4x7x16xf32> {
  %init = tensor.empty() : tensor<1x4x7x16xf32>
  %o = attn.attention queries(%q : tensor<1x4x7x16xf32>) keys(%k : tensor<1x2x40x16xf32>)
         values(%v : tensor<1x2x40x16xf32>) outs(%init : tensor<1x4x7x16xf32>)
         scale(0.25 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x4x7x16xf32>
  return %o : tensor<1x4x7x16xf32>
}
