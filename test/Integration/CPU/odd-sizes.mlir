// RUN: %check-attention %s --function s1_t1 --scale 0.11180339887498948 --causal
// RUN: %check-attention %s --function t1000_d80 --scale 0.11180339887498948
// RUN: %check-attention %s --function s3_t1000 --scale 0.11180339887498948 --causal

// Odd sizes: S = T = 1; a decode over T = 1000 with D = 80; S = 3 against T = 1000
// causal with Dv = 48.

func.func @s1_t1(%q: tensor<1x2x1x80xf32>, %k: tensor<1x2x1x80xf32>, %v: tensor<1x2x1x80xf32>) -> tensor<1x2x1x80xf32> {
  %init = tensor.empty() : tensor<1x2x1x80xf32>
  %o = attn.attention queries(%q : tensor<1x2x1x80xf32>) keys(%k : tensor<1x2x1x80xf32>)
         values(%v : tensor<1x2x1x80xf32>) outs(%init : tensor<1x2x1x80xf32>)
         scale(0.11180339887498948 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x2x1x80xf32>
  return %o : tensor<1x2x1x80xf32>
}

func.func @t1000_d80(%q: tensor<1x4x1x80xf32>, %k: tensor<1x2x1000x80xf32>, %v: tensor<1x2x1000x80xf32>) -> tensor<1x4x1x80xf32> {
  %init = tensor.empty() : tensor<1x4x1x80xf32>
  %o = attn.attention queries(%q : tensor<1x4x1x80xf32>) keys(%k : tensor<1x2x1000x80xf32>)
         values(%v : tensor<1x2x1000x80xf32>) outs(%init : tensor<1x4x1x80xf32>)
         scale(0.11180339887498948 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x4x1x80xf32>
  return %o : tensor<1x4x1x80xf32>
}

func.func @s3_t1000(%q: tensor<1x2x3x80xf32>, %k: tensor<1x1x1000x80xf32>, %v: tensor<1x1x1000x48xf32>) -> tensor<1x2x3x48xf32> {
  %init = tensor.empty() : tensor<1x2x3x48xf32>
  %o = attn.attention queries(%q : tensor<1x2x3x80xf32>) keys(%k : tensor<1x1x1000x80xf32>)
         values(%v : tensor<1x1x1000x48xf32>) outs(%init : tensor<1x2x3x48xf32>)
         scale(0.11180339887498948 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x2x3x48xf32>
  return %o : tensor<1x2x3x48xf32>
}
