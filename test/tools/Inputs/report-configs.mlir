// Paper configurations the report is checked against (tiny T; the report
// takes --context).

// EG-MLA paper baseline: MHA, 12 heads of 64.
func.func @mha_12x64(%q: tensor<1x12x1x64xf32>, %k: tensor<1x12x16x64xf32>,
                     %v: tensor<1x12x16x64xf32>) -> tensor<1x12x1x64xf32> {
  %init = tensor.empty() : tensor<1x12x1x64xf32>
  %o = attn.attention queries(%q : tensor<1x12x1x64xf32>) keys(%k : tensor<1x12x16x64xf32>)
         values(%v : tensor<1x12x16x64xf32>) outs(%init : tensor<1x12x1x64xf32>) scale(0.125 : f32)
         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x12x1x64xf32>
  return %o : tensor<1x12x1x64xf32>
}

// EG-MLA paper baseline: MLA with d_c = 256, 12 heads, 64 + 64 head dims, d_v 64.
func.func @mla_dc256(%qn: tensor<1x1x12x64xf32>, %qr: tensor<1x1x12x64xf32>, %c: tensor<1x16x256xf32>,
                     %kr: tensor<1x16x64xf32>, %wuk: tensor<12x256x64xf32>,
                     %wuv: tensor<12x256x64xf32>) -> tensor<1x1x12x64xf32> {
  %init = tensor.empty() : tensor<1x1x12x64xf32>
  %o = attn.latent_attention queries(%qn, %qr : tensor<1x1x12x64xf32>, tensor<1x1x12x64xf32>)
         latent(%c, %kr : tensor<1x16x256xf32>, tensor<1x16x64xf32>)
         up_projections(%wuk, %wuv : tensor<12x256x64xf32>, tensor<12x256x64xf32>)
         outs(%init : tensor<1x1x12x64xf32>) scale(0.088388 : f32) masking(causal) -> tensor<1x1x12x64xf32>
  return %o : tensor<1x1x12x64xf32>
}

// GTA paper baseline: GQA with 20 query heads on 5 KV heads of 64.
func.func @gqa_20_5x64(%q: tensor<1x20x1x64xf32>, %k: tensor<1x5x16x64xf32>,
                       %v: tensor<1x5x16x64xf32>) -> tensor<1x20x1x64xf32> {
  %init = tensor.empty() : tensor<1x20x1x64xf32>
  %o = attn.attention queries(%q : tensor<1x20x1x64xf32>) keys(%k : tensor<1x5x16x64xf32>)
         values(%v : tensor<1x5x16x64xf32>) outs(%init : tensor<1x20x1x64xf32>) scale(0.125 : f32)
         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>, affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>, affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x20x1x64xf32>
  return %o : tensor<1x20x1x64xf32>
}

// MLRA paper baseline: MLA with 24 heads, d_c 512, d_R 64.
func.func @mla_24(%qn: tensor<1x1x24x128xf32>, %qr: tensor<1x1x24x64xf32>, %c: tensor<1x16x512xf32>,
                  %kr: tensor<1x16x64xf32>, %wuk: tensor<24x512x128xf32>,
                  %wuv: tensor<24x512x128xf32>) -> tensor<1x1x24x128xf32> {
  %init = tensor.empty() : tensor<1x1x24x128xf32>
  %o = attn.latent_attention queries(%qn, %qr : tensor<1x1x24x128xf32>, tensor<1x1x24x64xf32>)
         latent(%c, %kr : tensor<1x16x512xf32>, tensor<1x16x64xf32>)
         up_projections(%wuk, %wuv : tensor<24x512x128xf32>, tensor<24x512x128xf32>)
         outs(%init : tensor<1x1x24x128xf32>) scale(0.0721687 : f32) masking(causal) -> tensor<1x1x24x128xf32>
  return %o : tensor<1x1x24x128xf32>
}
