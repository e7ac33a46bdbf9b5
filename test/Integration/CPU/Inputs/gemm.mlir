// Contractions large enough for attn-cache-block-contractions, and a cache
// concatenation whose copies attn-inline-strided-copies turns into loops
// (gemm.test checks them against numpy).

// A prefill projection as torch-mlir exports Linear: the [out, in] weight
// transposed, then a matmul of 24 rows (panel 4 MiB: reduction tiles of 64
// steps, the transpose fused into them).
func.func @linear(%x: tensor<24x1024xf32>, %w: tensor<1024x1024xf32>) -> tensor<24x1024xf32> {
  %zero = arith.constant 0.0 : f32
  %te = tensor.empty() : tensor<1024x1024xf32>
  %wt = linalg.transpose ins(%w : tensor<1024x1024xf32>) outs(%te : tensor<1024x1024xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<24x1024xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<24x1024xf32>) -> tensor<24x1024xf32>
  %r = linalg.matmul ins(%x, %wt : tensor<24x1024xf32>, tensor<1024x1024xf32>) outs(%f : tensor<24x1024xf32>) -> tensor<24x1024xf32>
  return %r : tensor<24x1024xf32>
}

// A matmul whose reduction (160) is not a multiple of 64: reduction tiles
// of the largest divisor up to 64 (40), columns fitted to the panel.
func.func @odd_reduction(%x: tensor<30x160xf32>, %w: tensor<160x2048xf32>) -> tensor<30x2048xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<30x2048xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<30x2048xf32>) -> tensor<30x2048xf32>
  %r = linalg.matmul ins(%x, %w : tensor<30x160xf32>, tensor<160x2048xf32>) outs(%f : tensor<30x2048xf32>) -> tensor<30x2048xf32>
  return %r : tensor<30x2048xf32>
}

// A per-head projection k[b,h,t,n] = sum_c latent[b,t,c] w[h,c,n], head-major
// (panel 1 MiB: one head at a time, the reduction whole).
#l = affine_map<(b, h, t, n, c) -> (b, t, c)>
#w = affine_map<(b, h, t, n, c) -> (h, c, n)>
#o = affine_map<(b, h, t, n, c) -> (b, h, t, n)>
func.func @per_head(%lat: tensor<1x40x256xf32>, %w: tensor<8x256x128xf32>) -> tensor<1x8x40x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x40x128xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x40x128xf32>) -> tensor<1x8x40x128xf32>
  %r = linalg.generic {indexing_maps = [#l, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%lat, %w : tensor<1x40x256xf32>, tensor<8x256x128xf32>) outs(%f : tensor<1x8x40x128xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x8x40x128xf32>
  return %r : tensor<1x8x40x128xf32>
}

// A decode step's cache, [B, H, T, D], concatenated with the new token's
// keys along T, times 2 so that the concatenation is computed.
func.func @append(%cache: tensor<1x4x33x64xf32>, %new: tensor<1x4x1x64xf32>) -> tensor<1x4x34x64xf32> {
  %c = tensor.concat dim(2) %cache, %new : (tensor<1x4x33x64xf32>, tensor<1x4x1x64xf32>) -> tensor<1x4x34x64xf32>
  %e = tensor.empty() : tensor<1x4x34x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x4x34x64xf32>) outs(%e : tensor<1x4x34x64xf32>) {
  ^bb0(%x: f32, %y: f32):
    %two = arith.constant 2.0 : f32
    %d = arith.mulf %x, %two : f32
    linalg.yield %d : f32
  } -> tensor<1x4x34x64xf32>
  return %r : tensor<1x4x34x64xf32>
}
