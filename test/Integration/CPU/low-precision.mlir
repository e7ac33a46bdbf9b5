// RUN: %check-attention %s --function bf16 --scale 0.17677669529663687 --causal --rtol 6e-3
// RUN: %check-attention %s --function bf16 --scale 0.17677669529663687 --causal --f32-probabilities
// RUN: %check-attention %s --function f16 --scale 0.17677669529663687 --rtol 2e-3
// RUN: %check-attention %s --function bf16_decode --scale 0.125 --rtol 6e-3
// RUN: %check-attention %s --function bf16_decode --scale 0.125 --f32-probabilities

// bf16 inputs with an f32 output, and f16 in and out; accumulation is f32.
// The reference sees the same rounded inputs; f16 output adds its own rounding.
// bf16_decode scores its 4 query rows per key as dot products: vdpbf16ps on
// bf16 pairs where the CPU has avx512_bf16 (products of bf16 are exact in
// f32), FMAs on widened bf16 elsewhere; 100 keys leave a remainder tile.
// With avx512_bf16, probabilities against bf16 values (bf16, bf16_decode)
// are rounded to bf16 for P.V in vdpbf16ps: each carries up to 2^-9
// relative error, and the output about 1e-3 of its largest value (2.2e-3 at
// most in 40 seeds of bf16_decode, 1.8e-3 in 20 of bf16), hence 6e-3; with
// --f32-probabilities they stay f32 and the output is as close as the f32
// paths. Without avx512_bf16 both lines of each check the f32 path.

func.func @bf16_decode(%q: tensor<1x8x1x64xbf16>, %k: tensor<1x2x100x64xbf16>, %v: tensor<1x2x100x64xbf16>) -> tensor<1x8x1x64xf32> {
  %init = tensor.empty() : tensor<1x8x1x64xf32>
  %o = attn.attention queries(%q : tensor<1x8x1x64xbf16>) keys(%k : tensor<1x2x100x64xbf16>)
         values(%v : tensor<1x2x100x64xbf16>) outs(%init : tensor<1x8x1x64xf32>)
         scale(0.125 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x1x64xf32>
  return %o : tensor<1x8x1x64xf32>
}

func.func @bf16(%q: tensor<1x8x2x32xbf16>, %k: tensor<1x2x64x32xbf16>, %v: tensor<1x2x64x32xbf16>) -> tensor<1x8x2x32xf32> {
  %init = tensor.empty() : tensor<1x8x2x32xf32>
  %o = attn.attention queries(%q : tensor<1x8x2x32xbf16>) keys(%k : tensor<1x2x64x32xbf16>)
         values(%v : tensor<1x2x64x32xbf16>) outs(%init : tensor<1x8x2x32xf32>)
         scale(0.17677669529663687 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x2x32xf32>
  return %o : tensor<1x8x2x32xf32>
}

func.func @f16(%q: tensor<1x8x2x32xf16>, %k: tensor<1x2x64x32xf16>, %v: tensor<1x2x64x32xf16>) -> tensor<1x8x2x32xf16> {
  %init = tensor.empty() : tensor<1x8x2x32xf16>
  %o = attn.attention queries(%q : tensor<1x8x2x32xf16>) keys(%k : tensor<1x2x64x32xf16>)
         values(%v : tensor<1x2x64x32xf16>) outs(%init : tensor<1x8x2x32xf16>)
         scale(0.17677669529663687 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x2x32xf16>
  return %o : tensor<1x8x2x32xf16>
}
