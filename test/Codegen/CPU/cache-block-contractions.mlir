// RUN: attn-opt %s --attn-cache-block-contractions --split-input-file | FileCheck %s
// RUN: not attn-opt %s --split-input-file --attn-cache-block-contractions="panel-bytes=0" 2>&1 | FileCheck %s --check-prefix=BADOPTION

// BADOPTION: reduction-tile, panel-bytes and min-rows must be positive

// A prefill's GEMM, [512, 2048] x [2048, 2048]: its 16 MiB weight is read in
// panels of 64 reduction steps by all 2048 columns (512 KiB), the reduction
// loop inside, every block of rows walking one panel.

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// CHECK-LABEL: func.func @gemm
// CHECK:       scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %c64
// CHECK-NOT:   scf.for
// CHECK:         tensor.extract_slice %arg0[0, %[[K]]] [512, 64] [1, 1]
// CHECK:         tensor.extract_slice %arg1[%[[K]], 0] [64, 2048] [1, 1]
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<512x64xf32>, tensor<64x2048xf32>) outs(%{{.*}} : tensor<512x2048xf32>)
func.func @gemm(%a: tensor<512x2048xf32>, %b: tensor<2048x2048xf32>, %c: tensor<512x2048xf32>) -> tensor<512x2048xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<512x2048xf32>, tensor<2048x2048xf32>) outs(%c : tensor<512x2048xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<512x2048xf32>
  return %r : tensor<512x2048xf32>
}

// -----

// An MLP's up projection, 8192 columns: panels of 64 steps by 2048 columns,
// the columns outside. The weight is torch's [out, in], transposed before
// the matmul: the transpose is fused into the tiles, each transposing its
// own panel into a panel-sized tensor; the whole transposed weight is never
// built.

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
#t_in = affine_map<(i, j) -> (j, i)>
#t_out = affine_map<(i, j) -> (i, j)>

// CHECK-LABEL: func.func @transposed_weight
// CHECK-NOT:   tensor<2048x8192xf32>
// CHECK:       scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %c2048
// CHECK:         scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %c64
// CHECK:           %[[W:.*]] = tensor.extract_slice %arg1[%[[N]], %[[K]]] [2048, 64] [1, 1]
// CHECK:           %[[E:.*]] = tensor.empty() : tensor<64x2048xf32>
// CHECK:           %[[T:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<2048x64xf32>) outs(%[[E]] : tensor<64x2048xf32>)
// CHECK:           linalg.generic {{.*}} ins(%{{.*}}, %[[T]] : tensor<512x64xf32>, tensor<64x2048xf32>)
func.func @transposed_weight(%a: tensor<512x2048xf32>, %w: tensor<8192x2048xf32>, %c: tensor<512x8192xf32>) -> tensor<512x8192xf32> {
  %e = tensor.empty() : tensor<2048x8192xf32>
  %wt = linalg.generic {indexing_maps = [#t_in, #t_out], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<8192x2048xf32>) outs(%e : tensor<2048x8192xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<2048x8192xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %wt : tensor<512x2048xf32>, tensor<2048x8192xf32>) outs(%c : tensor<512x8192xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<512x8192xf32>
  return %r : tensor<512x8192xf32>
}

// -----

// MLA's expanded up-projection, k[b,h,t,n] = sum_c latent[b,t,c] w[h,c,n]:
// the heads, outside the key rows in the output, are independent
// projections. One head at a time (a 256 KiB panel), the reduction whole.

#l = affine_map<(b, h, t, n, c) -> (b, t, c)>
#w = affine_map<(b, h, t, n, c) -> (h, c, n)>
#o = affine_map<(b, h, t, n, c) -> (b, h, t, n)>

// CHECK-LABEL: func.func @per_head_projection
// CHECK:       scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step %c1
// CHECK-NOT:   scf.for
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x512x512xf32>, tensor<1x512x128xf32>) outs(%{{.*}} : tensor<1x1x512x128xf32>)
func.func @per_head_projection(%lat: tensor<1x512x512xf32>, %w: tensor<16x512x128xf32>, %o: tensor<1x16x512x128xf32>) -> tensor<1x16x512x128xf32> {
  %r = linalg.generic {indexing_maps = [#l, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%lat, %w : tensor<1x512x512xf32>, tensor<16x512x128xf32>) outs(%o : tensor<1x16x512x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x16x512x128xf32>
  return %r : tensor<1x16x512x128xf32>
}

// -----

// Left alone: a decode step's product (4 rows share the weight: nothing to
// reuse), and a GEMM whose 256 KiB weight already fits.

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:   scf.for
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x2048xf32>, tensor<2048x2048xf32>)
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<512x256xf32>, tensor<256x256xf32>)
func.func @left_alone(%a: tensor<4x2048xf32>, %b: tensor<2048x2048xf32>, %c: tensor<4x2048xf32>,
                      %a2: tensor<512x256xf32>, %b2: tensor<256x256xf32>, %c2: tensor<512x256xf32>) -> (tensor<4x2048xf32>, tensor<512x256xf32>) {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x2048xf32>, tensor<2048x2048xf32>) outs(%c : tensor<4x2048xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x2048xf32>
  %r2 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a2, %b2 : tensor<512x256xf32>, tensor<256x256xf32>) outs(%c2 : tensor<512x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<512x256xf32>
  return %r, %r2 : tensor<4x2048xf32>, tensor<512x256xf32>
}
