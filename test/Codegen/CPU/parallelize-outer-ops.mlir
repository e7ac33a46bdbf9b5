// RUN: attn-opt %s --attn-parallelize-outer-ops --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-parallelize-outer-ops=chunks=1 --split-input-file | FileCheck %s --check-prefix=ONE
// RUN: not attn-opt %s --attn-parallelize-outer-ops=chunks=0 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: attn-parallelize-outer-ops: chunks and min-iterations must be positive, got chunks=0 min-iterations=1048576

// MLA's absorption of the queries (128 heads x 512 latent columns x 128
// reduction steps: 8.4M points) is split into 4 parallel chunks of 32 heads,
// its outermost parallel dimension that 4 divides (the unit batch and query
// dimensions are not).

// CHECK-LABEL: func.func @absorption
// CHECK:         %[[INIT:.*]] = linalg.fill
// CHECK:         %[[R:.*]] = scf.forall (%[[H:.*]]) = (0) to (128) step (32) shared_outs(%[[OUT:.*]] = %[[INIT]])
// CHECK:           %[[Q:.*]] = tensor.extract_slice %{{.*}}[0, 0, %[[H]], 0] [1, 1, 32, 128]
// CHECK:           %[[W:.*]] = tensor.extract_slice %{{.*}}[%[[H]], 0, 0] [32, 512, 128]
// CHECK:           %[[O:.*]] = tensor.extract_slice %[[OUT]][0, 0, %[[H]], 0] [1, 1, 32, 512]
// CHECK:           %[[C:.*]] = linalg.generic {{.*}} ins(%[[Q]], %[[W]] : tensor<1x1x32x128xbf16>, tensor<32x512x128xbf16>) outs(%[[O]] : tensor<1x1x32x512xf32>)
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice %[[C]] into %[[OUT]][0, 0, %[[H]], 0] [1, 1, 32, 512]
// CHECK:         return %[[R]]
// ONE-LABEL:   func.func @absorption
// ONE-NOT:       scf.forall
func.func @absorption(%q: tensor<1x1x128x128xbf16>, %w: tensor<128x512x128xbf16>)
    -> tensor<1x1x128x512xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x1x128x512xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x1x128x512xf32>)
      -> tensor<1x1x128x512xf32>
  %r = linalg.generic {
         indexing_maps = [affine_map<(b, s, h, c, d) -> (b, s, h, d)>,
                          affine_map<(b, s, h, c, d) -> (h, c, d)>,
                          affine_map<(b, s, h, c, d) -> (b, s, h, c)>],
         iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
       ins(%q, %w : tensor<1x1x128x128xbf16>, tensor<128x512x128xbf16>)
       outs(%init : tensor<1x1x128x512xf32>) {
  ^bb0(%a: bf16, %b: bf16, %o: f32):
    %x = arith.extf %a : bf16 to f32
    %y = arith.extf %b : bf16 to f32
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x128x512xf32>
  return %r : tensor<1x1x128x512xf32>
}

// -----

// Left alone: an op below min-iterations (256 x 256: 64K points), one with
// no parallel dimension that 4 divides (6 x 3, reducing 65536: 1.2M points),
// and an op already inside a loop (as the attention's tile ops are).

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:     scf.forall
// CHECK:         scf.for
// CHECK-NOT:     scf.forall
// CHECK:         return
func.func @left_alone(%a: tensor<256x256xf32>, %b: tensor<6x3x65536xf32>,
                      %c: tensor<4x1024x1024xf32>)
    -> (tensor<256x256xf32>, tensor<6x3xf32>, tensor<4x1024x1024xf32>) {
  %small = linalg.generic {
         indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
         iterator_types = ["parallel", "parallel"]}
       ins(%a : tensor<256x256xf32>) outs(%a : tensor<256x256xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  } -> tensor<256x256xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<6x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<6x3xf32>) -> tensor<6x3xf32>
  %odd = linalg.generic {
         indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, j)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%b : tensor<6x3x65536xf32>) outs(%init : tensor<6x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  } -> tensor<6x3xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %looped = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %c) -> (tensor<4x1024x1024xf32>) {
    %n = linalg.generic {
           indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, j, k)>],
           iterator_types = ["parallel", "parallel", "parallel"]}
         ins(%acc : tensor<4x1024x1024xf32>) outs(%acc : tensor<4x1024x1024xf32>) {
    ^bb0(%x: f32, %o: f32):
      %e = math.exp %x : f32
      linalg.yield %e : f32
    } -> tensor<4x1024x1024xf32>
    scf.yield %n : tensor<4x1024x1024xf32>
  }
  return %small, %odd, %looped : tensor<256x256xf32>, tensor<6x3xf32>, tensor<4x1024x1024xf32>
}
