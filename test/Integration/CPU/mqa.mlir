// RUN: %check-attention %s --scale 0.25

// MQA: 6 query heads share one KV head.

func.func @main(%q: tensor<2x6x3x16xf32>, %k: tensor<2x1x50x16xf32>, %v: tensor<2x1x50x16xf32>) -> tensor<2x6x3x16xf32> {
  %init = tensor.empty() : tensor<2x6x3x16xf32>
  %o = attn.attention queries(%q : tensor<2x6x3x16xf32>) keys(%k : tensor<2x1x50x16xf32>)
         values(%v : tensor<2x1x50x16xf32>) outs(%init : tensor<2x6x3x16xf32>)
         scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<2x6x3x16xf32>
  return %o : tensor<2x6x3x16xf32>
}
