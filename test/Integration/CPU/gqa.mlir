// RUN: %check-attention %s --scale 0.17677669529663687

// GQA: 8 query heads on 2 KV heads (g = 4), S = 5 queries, no mask.

func.func @main(%q: tensor<1x8x5x32xf32>, %k: tensor<1x2x77x32xf32>, %v: tensor<1x2x77x32xf32>) -> tensor<1x8x5x32xf32> {
  %init = tensor.empty() : tensor<1x8x5x32xf32>
  %o = attn.attention queries(%q : tensor<1x8x5x32xf32>) keys(%k : tensor<1x2x77x32xf32>)
         values(%v : tensor<1x2x77x32xf32>) outs(%init : tensor<1x8x5x32xf32>)
         scale(0.17677669529663687 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x5x32xf32>
  return %o : tensor<1x8x5x32xf32>
}
