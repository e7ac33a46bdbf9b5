// Grouped-query attention, one decode step, no mask.
//   q [B, Hq, 1, D], k [B, Hkv, T, D], v [B, Hkv, T, D] -> o [B, Hq, 1, D]
// Query head h reads KV head floor(h / (Hq / Hkv)): k and v have Hkv heads
// along the head (batch) dimension, which divides the output's Hq, so each
// KV head is shared by its group without any copy.
// Defaults B=1, Hq=32, Hkv=8, T=4096, D=128; scale = 1/sqrt(D).
func.func @main(%q: tensor<1x32x1x128xf32>, %k: tensor<1x8x4096x128xf32>,
                %v: tensor<1x8x4096x128xf32>) -> tensor<1x32x1x128xf32> {
  %init = tensor.empty() : tensor<1x32x1x128xf32>
  %o = attn.attention
         queries(%q : tensor<1x32x1x128xf32>)
         keys(%k : tensor<1x8x4096x128xf32>)
         values(%v : tensor<1x8x4096x128xf32>)
         outs(%init : tensor<1x32x1x128xf32>)
         scale(0.08838834764831845 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x32x1x128xf32>
  return %o : tensor<1x32x1x128xf32>
}
