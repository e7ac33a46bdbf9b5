// RUN: %check-attention %s --scale 0.25 --window 9

// Sliding window of 9 keys ending at each query's aligned position.

func.func @main(%q: tensor<1x4x16x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> tensor<1x4x16x16xf32> {
  %init = tensor.empty() : tensor<1x4x16x16xf32>
  %o = attn.attention queries(%q : tensor<1x4x16x16xf32>) keys(%k : tensor<1x2x64x16xf32>)
         values(%v : tensor<1x2x64x16xf32>) outs(%init : tensor<1x4x16x16xf32>)
         scale(0.25 : f32) masking(sliding_window, window = 9)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x4x16x16xf32>
  return %o : tensor<1x4x16x16xf32>
}
