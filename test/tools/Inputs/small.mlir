// A small attention for the attn-run tool tests: q [1,2,3,8], k/v [1,2,5,8].
func.func @main(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>,
                %v: tensor<1x2x5x8xf32>) -> tensor<1x2x3x8xf32> {
  %init = tensor.empty() : tensor<1x2x3x8xf32>
  %o = attn.attention queries(%q : tensor<1x2x3x8xf32>) keys(%k : tensor<1x2x5x8xf32>)
         values(%v : tensor<1x2x5x8xf32>) outs(%init : tensor<1x2x3x8xf32>)
         scale(0.35 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x2x3x8xf32>
  return %o : tensor<1x2x3x8xf32>
}

func.func @takes_dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}
