// RUN: attn-opt %s --split-input-file --attn-prefetch-streamed-tiles | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-tile-register-blocks --attn-prefetch-streamed-tiles | FileCheck %s --check-prefix=PLANNED

// A register tile that reads one row of a 16-row key tile (along dimension 1
// of %k) prefetches that row of the next key tile, one prefetch per 64-byte
// line, clamped to the last row; the marks are removed.

// CHECK-DAG:   #[[NEXT:.*]] = affine_map<()[s0, s1] -> (s0 + s1 + 16, 63)>
// CHECK-LABEL: func.func @key_rows
// CHECK-SAME:    %[[K:[^:]*]]: tensor<1x64x32xf32>
// CHECK:         %[[BUF:.*]] = bufferization.to_buffer %[[K]] read_only
// CHECK-NOT:     attn_codegen
// CHECK:         scf.for %[[J:[^ ]*]] =
// CHECK:           %[[ROW:.*]] = affine.min #[[NEXT]]()[%[[J]], %{{.*}}]
// CHECK:           memref.prefetch %[[BUF]][%{{.*}}, %[[ROW]], %{{.*}}], read, locality<2>, data
// CHECK:           memref.prefetch %[[BUF]][%{{.*}}, %[[ROW]], %c16{{.*}}], read, locality<2>, data
// CHECK-NOT:       memref.prefetch
// CHECK-NOT:       attn_codegen
// CHECK:           linalg.generic
// CHECK-NOT:       attn_codegen
func.func @key_rows(%k: tensor<1x64x32xf32>, %q: tensor<4x32xf32>, %s: tensor<4x16xf32>, %t: index) -> tensor<4x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %ktile = tensor.extract_slice %k[0, %t, 0] [1, 16, 32] [1, 1, 1] {attn_codegen.key_tile = array<i64: 0, 1>}
      : tensor<1x64x32xf32> to tensor<16x32xf32>
  %r = scf.for %j = %c0 to %c16 step %c1 iter_args(%acc = %s) -> (tensor<4x16xf32>) {
    %row = tensor.extract_slice %ktile[%j, 0] [1, 32] [1, 1] : tensor<16x32xf32> to tensor<1x32xf32>
    %out = tensor.extract_slice %acc[0, %j] [4, 1] [1, 1] : tensor<4x16xf32> to tensor<4x1xf32>
    %d = linalg.generic {
           indexing_maps = [affine_map<(r, k, c) -> (k, c)>, affine_map<(r, k, c) -> (r, c)>,
                            affine_map<(r, k, c) -> (r, k)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%row, %q : tensor<1x32xf32>, tensor<4x32xf32>) outs(%out : tensor<4x1xf32>)
         attrs = {attn_codegen.prefetch_key_tiles = array<i64: 0, -1>} {
    ^bb0(%a: f32, %b: f32, %x: f32):
      %m = arith.mulf %a, %b : f32
      %sum = arith.addf %x, %m : f32
      linalg.yield %sum : f32
    } -> tensor<4x1xf32>
    %ins = tensor.insert_slice %d into %acc[0, %j] [4, 1] [1, 1] : tensor<4x1xf32> into tensor<4x16xf32>
    scf.yield %ins : tensor<4x16xf32>
  }
  return %r : tensor<4x16xf32>
}

// -----

// Without a plan nothing is prefetched. Planned by attn-tile-register-blocks,
// the score loop of a decode key step, one key row per step, prefetches that
// row of the next K tile and the same row of the next V tile into L2, and
// the same row of this V tile into L1, each line once; the P.V blocks
// prefetch nothing.

// CHECK-LABEL: func.func @streamed_key_step
// CHECK-NOT:     memref.prefetch

// PLANNED-LABEL: func.func @streamed_key_step
// PLANNED-SAME:    %[[K:[^:]*]]: tensor<1x2x64x64xbf16>, %[[V:[^:]*]]: tensor<1x2x64x64xbf16>
// PLANNED-DAG:   %[[KBUF:.*]] = bufferization.to_buffer %[[K]] read_only
// PLANNED-DAG:   %[[VBUF:.*]] = bufferization.to_buffer %[[V]] read_only
// PLANNED:       scf.for %[[T:.*]] = %c0 to %c64 step %c16
// PLANNED:           scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %c1
// PLANNED:             %[[KROW:.*]] = affine.min #{{.*}}()[%[[J]], %[[T]]]
// PLANNED-COUNT-2:     memref.prefetch %[[KBUF]][%c0{{.*}}, %{{.*}}, %[[KROW]], %{{.*}}], read, locality<2>, data
// PLANNED:             %[[VROW:.*]] = affine.min #{{.*}}()[%[[J]], %[[T]]]
// PLANNED-COUNT-2:     memref.prefetch %[[VBUF]][%c0{{.*}}, %{{.*}}, %[[VROW]], %{{.*}}], read, locality<2>, data
// PLANNED:             %[[VCUR:.*]] = affine.apply #{{[a-z0-9]+}}()[%[[J]], %[[T]]]
// PLANNED:             memref.prefetch %[[VBUF]][%c0{{.*}}, %{{.*}}, %[[VCUR]], %c0{{.*}}], read, locality<3>, data
// PLANNED:             %[[VCUR2:.*]] = affine.apply #{{[a-z0-9]+}}()[%[[J]], %[[T]]]
// PLANNED:             memref.prefetch %[[VBUF]][%c0{{.*}}, %{{.*}}, %[[VCUR2]], %c32{{.*}}], read, locality<3>, data
// PLANNED-NOT:         memref.prefetch
// PLANNED:             linalg.generic
// PLANNED-NOT:         attn_codegen.prefetch
// PLANNED-NOT:     memref.prefetch
// PLANNED:         return
func.func @streamed_key_step(%k: tensor<1x2x64x64xbf16>, %v: tensor<1x2x64x64xbf16>,
                             %q: tensor<4x64xf32>, %h: index, %o: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = scf.for %t = %c0 to %c64 step %c16 iter_args(%acc = %o) -> (tensor<4x64xf32>) {
    %ktile = tensor.extract_slice %k[0, %h, %t, 0] [1, 1, 16, 64] [1, 1, 1, 1]
        : tensor<1x2x64x64xbf16> to tensor<16x64xbf16>
    %s = linalg.generic {
           indexing_maps = [affine_map<(r, k, c) -> (k, c)>, affine_map<(r, k, c) -> (r, c)>,
                            affine_map<(r, k, c) -> (r, k)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%ktile, %q : tensor<16x64xbf16>, tensor<4x64xf32>) outs(%s0 : tensor<4x16xf32>)
         attrs = {attn_codegen.streamed_key_tile = array<i64: 2, -1>} {
    ^bb0(%a: bf16, %b: f32, %x: f32):
      %w = arith.extf %a : bf16 to f32
      %m = arith.mulf %w, %b : f32
      %sum = arith.addf %x, %m : f32
      linalg.yield %sum : f32
    } -> tensor<4x16xf32>
    %vtile = tensor.extract_slice %v[0, %h, %t, 0] [1, 1, 16, 64] [1, 1, 1, 1]
        : tensor<1x2x64x64xbf16> to tensor<16x64xbf16>
    %pv = linalg.generic {
           indexing_maps = [affine_map<(r, e, k) -> (r, k)>, affine_map<(r, e, k) -> (k, e)>,
                            affine_map<(r, e, k) -> (r, e)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%s, %vtile : tensor<4x16xf32>, tensor<16x64xbf16>) outs(%acc : tensor<4x64xf32>)
         attrs = {attn_codegen.streamed_key_tile = array<i64: -1, 2>} {
    ^bb0(%p: f32, %b: bf16, %x: f32):
      %w = arith.extf %b : bf16 to f32
      %m = arith.mulf %p, %w : f32
      %sum = arith.addf %x, %m : f32
      linalg.yield %sum : f32
    } -> tensor<4x64xf32>
    scf.yield %pv : tensor<4x64xf32>
  }
  return %r : tensor<4x64xf32>
}

