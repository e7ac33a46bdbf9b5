// EG-MLA decode step with the embedding gate applied when the cache is read.
//   q_nope [B,S,H,dn], q_rope [B,S,H,dR], ids [B,T] i32, latent [B,T,dc],
//   k_rope [B,T,dR], gate_table [V,du], w_u [dc,du], norm_w [du],
//   w_uk [H,du,dn], w_uv [H,du,dv] -> o [B,S,H,dv]
// u[t] = rmsnorm((latent[t] @ w_u) * gate_table[ids[t]]) * norm_w, with
// rmsnorm(x) = x / sqrt(mean(x^2) + 1e-6); then MLA (causal) with latent u;
// scale = 1/sqrt(dn+dR).
// Defaults B=1, S=1, H=12, dn=64, dR=64, dc=64, du=256, dv=64, V=1024, T=4096.
func.func @main(%q_nope: tensor<1x1x12x64xf32>, %q_rope: tensor<1x1x12x64xf32>,
                %ids: tensor<1x4096xi32>, %latent: tensor<1x4096x64xf32>,
                %k_rope: tensor<1x4096x64xf32>, %gate_table: tensor<1024x256xf32>,
                %w_u: tensor<64x256xf32>, %norm_w: tensor<256xf32>,
                %w_uk: tensor<12x256x64xf32>, %w_uv: tensor<12x256x64xf32>)
    -> tensor<1x1x12x64xf32> {
  %u_init = tensor.empty() : tensor<1x4096x256xf32>
  %u = attn.embedding_gate latent(%latent : tensor<1x4096x64xf32>)
         ids(%ids : tensor<1x4096xi32>) table(%gate_table : tensor<1024x256xf32>)
         up_projection(%w_u : tensor<64x256xf32>) norm_weight(%norm_w : tensor<256xf32>)
         outs(%u_init : tensor<1x4096x256xf32>) norm = rms, epsilon = 1.0e-6
         -> tensor<1x4096x256xf32>
  %init = tensor.empty() : tensor<1x1x12x64xf32>
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : tensor<1x1x12x64xf32>, tensor<1x1x12x64xf32>)
         latent(%u, %k_rope : tensor<1x4096x256xf32>, tensor<1x4096x64xf32>)
         up_projections(%w_uk, %w_uv : tensor<12x256x64xf32>, tensor<12x256x64xf32>)
         outs(%init : tensor<1x1x12x64xf32>)
         scale(0.08838834764831845 : f32) masking(causal)
         -> tensor<1x1x12x64xf32>
  return %o : tensor<1x1x12x64xf32>
}
