// MLA (DeepSeek) decode step, causal (bottom-right aligned).
//   q_nope [B,S,H,dn], q_rope [B,S,H,dR], latent [B,T,dc], k_rope [B,T,dR],
//   w_uk [H,dc,dn], w_uv [H,dc,dv] -> o [B,S,H,dv]
// k[t,h] = latent[t] @ w_uk[h], v[t,h] = latent[t] @ w_uv[h],
// score = scale * (q_nope[s,h].k[t,h] + q_rope[s,h].k_rope[t]), scale = 1/sqrt(dn+dR).
// Defaults B=1, S=1, H=16, dn=128, dR=64, dc=512, dv=128, T=4096.
// attn-lower-latent-attention picks the absorbed form here (decode).
func.func @main(%q_nope: tensor<1x1x16x128xf32>, %q_rope: tensor<1x1x16x64xf32>,
                %latent: tensor<1x4096x512xf32>, %k_rope: tensor<1x4096x64xf32>,
                %w_uk: tensor<16x512x128xf32>, %w_uv: tensor<16x512x128xf32>)
    -> tensor<1x1x16x128xf32> {
  %init = tensor.empty() : tensor<1x1x16x128xf32>
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : tensor<1x1x16x128xf32>, tensor<1x1x16x64xf32>)
         latent(%latent, %k_rope : tensor<1x4096x512xf32>, tensor<1x4096x64xf32>)
         up_projections(%w_uk, %w_uv : tensor<16x512x128xf32>, tensor<16x512x128xf32>)
         outs(%init : tensor<1x1x16x128xf32>)
         scale(0.07216878364870323 : f32) masking(causal)
         -> tensor<1x1x16x128xf32>
  return %o : tensor<1x1x16x128xf32>
}
