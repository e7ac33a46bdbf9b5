// An embedding gate over a 5-row table, for the token-id checks.
func.func @gate32(%c: tensor<1x3x2xf32>, %ids: tensor<1x3xi32>, %t: tensor<5x4xf32>,
                  %wu: tensor<2x4xf32>, %nw: tensor<4xf32>) -> tensor<1x3x4xf32> {
  %init = tensor.empty() : tensor<1x3x4xf32>
  %u = attn.embedding_gate latent(%c : tensor<1x3x2xf32>) ids(%ids : tensor<1x3xi32>)
         table(%t : tensor<5x4xf32>) up_projection(%wu : tensor<2x4xf32>)
         norm_weight(%nw : tensor<4xf32>) outs(%init : tensor<1x3x4xf32>)
         norm = rms, epsilon = 1.0e-6 -> tensor<1x3x4xf32>
  return %u : tensor<1x3x4xf32>
}

func.func @gate64(%c: tensor<1x3x2xf32>, %ids: tensor<1x3xi64>, %t: tensor<5x4xf32>,
                  %wu: tensor<2x4xf32>, %nw: tensor<4xf32>) -> tensor<1x3x4xf32> {
  %init = tensor.empty() : tensor<1x3x4xf32>
  %u = attn.embedding_gate latent(%c : tensor<1x3x2xf32>) ids(%ids : tensor<1x3xi64>)
         table(%t : tensor<5x4xf32>) up_projection(%wu : tensor<2x4xf32>)
         norm_weight(%nw : tensor<4xf32>) outs(%init : tensor<1x3x4xf32>)
         norm = rms, epsilon = 1.0e-6 -> tensor<1x3x4xf32>
  return %u : tensor<1x3x4xf32>
}
