// RUN: %check-attention %s --args q,k,v,mask --scale 0.25

// An additive float mask, one value per (batch, head, query, key).

func.func @main(%q: tensor<1x4x6x16xf32>, %k: tensor<1x4x30x16xf32>, %v: tensor<1x4x30x16xf32>, %mask: tensor<1x4x6x30xf32>) -> tensor<1x4x6x16xf32> {
  %init = tensor.empty() : tensor<1x4x6x16xf32>
  %o = attn.attention queries(%q : tensor<1x4x6x16xf32>) keys(%k : tensor<1x4x30x16xf32>)
         values(%v : tensor<1x4x30x16xf32>) mask(%mask : tensor<1x4x6x30xf32>) outs(%init : tensor<1x4x6x16xf32>)
         scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, t)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x4x6x16xf32>
  return %o : tensor<1x4x6x16xf32>
}
