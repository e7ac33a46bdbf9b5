// bf16 GQA decode with 16 query heads per KV head (32 on 2), T = 300: each
// KV group's 16 packed heads are one AMX tile of rows; the last 44 keys
// take the vector path.
func.func @main(%q: tensor<1x32x1x128xbf16>, %k: tensor<1x2x300x128xbf16>,
                %v: tensor<1x2x300x128xbf16>) -> tensor<1x32x1x128xf32> {
  %init = tensor.empty() : tensor<1x32x1x128xf32>
  %o = attn.attention queries(%q : tensor<1x32x1x128xbf16>) keys(%k : tensor<1x2x300x128xbf16>)
         values(%v : tensor<1x2x300x128xbf16>) outs(%init : tensor<1x32x1x128xf32>)
         scale(0.08838834764831845 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x32x1x128xf32>
  return %o : tensor<1x32x1x128xf32>
}
