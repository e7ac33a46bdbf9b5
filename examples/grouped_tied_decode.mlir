// Grouped-tied attention (Dao et al.) decode step, causal, on the core op.
//   q_nope [B,S,H,dh-dR], q_rope [B,S,H,dR], kv [B,T,nkv,dh], k_rope [B,T,dR]
//   -> o [B,S,H,dh]
// Head h uses tied head j = floor(h/(H/nkv)); key = [kv[t,j,0:dh-dR] ; k_rope[t]],
// value = kv[t,j,:]; scale = 1/sqrt(dh).
// Defaults B=1, S=1, H=32, nkv=8, dh=128, dR=64, T=4096.
// No copies: the key's first part is a slice of the tied vectors (a view), the
// value is the tied vectors themselves, and k_rope only gains a unit head
// dimension so that all heads share it (a reshape).
func.func @main(%q_nope: tensor<1x1x32x64xf32>, %q_rope: tensor<1x1x32x64xf32>,
                %kv: tensor<1x4096x8x128xf32>, %k_rope: tensor<1x4096x64xf32>)
    -> tensor<1x1x32x128xf32> {
  %k_nope = tensor.extract_slice %kv[0, 0, 0, 0] [1, 4096, 8, 64] [1, 1, 1, 1]
      : tensor<1x4096x8x128xf32> to tensor<1x4096x8x64xf32>
  %k_rope_shared = tensor.expand_shape %k_rope [[0], [1], [2, 3]] output_shape [1, 4096, 1, 64]
      : tensor<1x4096x64xf32> into tensor<1x4096x1x64xf32>
  %init = tensor.empty() : tensor<1x1x32x128xf32>
  %o = attn.attention
         queries(%q_nope, %q_rope : tensor<1x1x32x64xf32>, tensor<1x1x32x64xf32>)
         keys(%k_nope, %k_rope_shared : tensor<1x4096x8x64xf32>, tensor<1x4096x1x64xf32>)
         values(%kv : tensor<1x4096x8x128xf32>)
         outs(%init : tensor<1x1x32x128xf32>)
         scale(0.08838834764831845 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, r, e) -> (b, s, h, d)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, s, h, r)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, t, h, d)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, t, h, r)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, t, h, e)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, s, h, e)>]
         -> tensor<1x1x32x128xf32>
  return %o : tensor<1x1x32x128xf32>
}
