// MLRA-4 decode step, causal (bottom-right aligned).
//   q_nope [B,S,H,dn], q_rope [B,S,H,dR], latent [B,T,4,db], k_rope [B,T,dR],
//   w_uk [4,H,db,dn], w_uv [4,H,db,dv] -> o [B,S,H,dv]
// Per block i an MLA branch over latent[:,:,i] with its own softmax;
// o = 0.5 * sum_i branch_i; scale = 1/sqrt(dn+dR).
// Defaults B=1, S=1, H=24, dn=128, dR=64, db=128, dv=128, T=4096.
// Every head reads every block: the default branches, one per block.
func.func @main(%q_nope: tensor<1x1x24x128xf32>, %q_rope: tensor<1x1x24x64xf32>,
                %latent: tensor<1x4096x4x128xf32>, %k_rope: tensor<1x4096x64xf32>,
                %w_uk: tensor<4x24x128x128xf32>, %w_uv: tensor<4x24x128x128xf32>)
    -> tensor<1x1x24x128xf32> {
  %init = tensor.empty() : tensor<1x1x24x128xf32>
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : tensor<1x1x24x128xf32>, tensor<1x1x24x64xf32>)
         latent(%latent, %k_rope : tensor<1x4096x4x128xf32>, tensor<1x4096x64xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x24x128x128xf32>, tensor<4x24x128x128xf32>)
         outs(%init : tensor<1x1x24x128xf32>)
         scale(0.07216878364870323 : f32) masking(causal) weight(0.5)
         -> tensor<1x1x24x128xf32>
  return %o : tensor<1x1x24x128xf32>
}
