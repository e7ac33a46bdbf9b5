// Multi-head attention prefill, causal (bottom-right aligned).
//   q [B, H, S, D], k [B, H, T, D], v [B, H, T, Dv] -> o [B, H, S, Dv]
// Defaults B=1, H=8, S=T=256, D=Dv=64; scale = 1/sqrt(D).
// Iteration space (b, h, s, t, d, e): b, h batch; s M; t K2; d K1; e N.
func.func @main(%q: tensor<1x8x256x64xf32>, %k: tensor<1x8x256x64xf32>,
                %v: tensor<1x8x256x64xf32>) -> tensor<1x8x256x64xf32> {
  %init = tensor.empty() : tensor<1x8x256x64xf32>
  %o = attn.attention
         queries(%q : tensor<1x8x256x64xf32>)
         keys(%k : tensor<1x8x256x64xf32>)
         values(%v : tensor<1x8x256x64xf32>)
         outs(%init : tensor<1x8x256x64xf32>)
         scale(0.125 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x256x64xf32>
  return %o : tensor<1x8x256x64xf32>
}
