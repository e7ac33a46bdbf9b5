// bf16 and f16 attention that the tensor-core kernel takes, at sizes that
// exercise its edges: rows that do not fill a block, keys that do not fill a
// tile, causal with S < T, a sliding window, kv_lengths with a batch whose
// rows see no key, and query heads packed into a block's rows (GQA, MQA).

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

func.func @prefill_causal(%q: tensor<1x2x100x64xbf16>, %k: tensor<1x2x300x64xbf16>,
                          %v: tensor<1x2x300x64xbf16>) -> tensor<1x2x100x64xf32> {
  %init = tensor.empty() : tensor<1x2x100x64xf32>
  %o = attn.attention queries(%q : tensor<1x2x100x64xbf16>) keys(%k : tensor<1x2x300x64xbf16>)
         values(%v : tensor<1x2x300x64xbf16>) outs(%init : tensor<1x2x100x64xf32>)
         scale(0.125 : f32) masking(causal) indexing_maps = #bhsd -> tensor<1x2x100x64xf32>
  return %o : tensor<1x2x100x64xf32>
}

func.func @gqa_decode(%q: tensor<2x8x1x128xbf16>, %k: tensor<2x2x100x128xbf16>,
                      %v: tensor<2x2x100x128xbf16>) -> tensor<2x8x1x128xf32> {
  %init = tensor.empty() : tensor<2x8x1x128xf32>
  %o = attn.attention queries(%q : tensor<2x8x1x128xbf16>) keys(%k : tensor<2x2x100x128xbf16>)
         values(%v : tensor<2x2x100x128xbf16>) outs(%init : tensor<2x8x1x128xf32>)
         scale(0.08838834764831845 : f32) indexing_maps = #bhsd -> tensor<2x8x1x128xf32>
  return %o : tensor<2x8x1x128xf32>
}

func.func @window(%q: tensor<1x2x70x64xf16>, %k: tensor<1x2x70x64xf16>,
                  %v: tensor<1x2x70x64xf16>) -> tensor<1x2x70x64xf16> {
  %init = tensor.empty() : tensor<1x2x70x64xf16>
  %o = attn.attention queries(%q : tensor<1x2x70x64xf16>) keys(%k : tensor<1x2x70x64xf16>)
         values(%v : tensor<1x2x70x64xf16>) outs(%init : tensor<1x2x70x64xf16>)
         scale(0.125 : f32) masking(sliding_window, window = 9) indexing_maps = #bhsd
         -> tensor<1x2x70x64xf16>
  return %o : tensor<1x2x70x64xf16>
}

func.func @lengths(%q: tensor<2x2x5x64xbf16>, %k: tensor<2x2x80x64xbf16>,
                   %v: tensor<2x2x80x64xbf16>, %len: tensor<2xi32>) -> tensor<2x2x5x64xf32> {
  %init = tensor.empty() : tensor<2x2x5x64xf32>
  %o = attn.attention queries(%q : tensor<2x2x5x64xbf16>) keys(%k : tensor<2x2x80x64xbf16>)
         values(%v : tensor<2x2x80x64xbf16>) kv_lengths(%len : tensor<2xi32>)
         outs(%init : tensor<2x2x5x64xf32>)
         scale(0.125 : f32) masking(causal)
         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
                          affine_map<(b, h, s, t, d, e) -> (b)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<2x2x5x64xf32>
  return %o : tensor<2x2x5x64xf32>
}

func.func @mqa(%q: tensor<1x16x3x64xbf16>, %k: tensor<1x1x200x64xbf16>,
               %v: tensor<1x1x200x64xbf16>) -> tensor<1x16x3x64xbf16> {
  %init = tensor.empty() : tensor<1x16x3x64xbf16>
  %o = attn.attention queries(%q : tensor<1x16x3x64xbf16>) keys(%k : tensor<1x1x200x64xbf16>)
         values(%v : tensor<1x1x200x64xbf16>) outs(%init : tensor<1x16x3x64xbf16>)
         scale(0.125 : f32) masking(causal) indexing_maps = #bhsd -> tensor<1x16x3x64xbf16>
  return %o : tensor<1x16x3x64xbf16>
}
