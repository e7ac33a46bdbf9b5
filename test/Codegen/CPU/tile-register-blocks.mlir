// RUN: attn-opt %s --split-input-file --attn-tile-register-blocks | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-tile-register-blocks="prefetch=false" | FileCheck %s --check-prefix=NOPF
// RUN: not attn-opt %s --split-input-file --attn-tile-register-blocks="native-lanes=12" 2>&1 | FileCheck %s --check-prefix=ERR

// ERR: error: attn-tile-register-blocks: native-lanes must be a power of two (the f32 lanes of a machine vector), got 12

// A contraction of 8 rows is split into 6 rows of 6x16 blocks and 2 rows of
// 2x32 blocks, each walking the reduction one step at a time.

// CHECK-LABEL: func.func @contraction
// CHECK:         tensor.extract_slice %{{.*}}[0, 0] [6, 64]
// CHECK:         scf.for %{{.*}} = %c0 to %c6 step %c6
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c32 step %c16
// CHECK:             scf.for %{{.*}} = %{{.*}} to %c64 step %c1
// CHECK:               linalg.generic
// CHECK-SAME:            ins(%{{.*}}, %{{.*}} : tensor<6x1xf32>, tensor<1x16xf32>) outs(%{{.*}} : tensor<6x16xf32>)
// CHECK-NOT:             attn_codegen
// CHECK:         tensor.extract_slice %{{.*}}[6, 0] [2, 64]
// CHECK:               linalg.generic
// CHECK-SAME:            ins(%{{.*}}, %{{.*}} : tensor<2x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<2x32xf32>)
func.func @contraction(%k: tensor<8x64xf32>, %qt: tensor<64x32xf32>, %s: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                          affine_map<(k, q, c) -> (k, q)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %qt : tensor<8x64xf32>, tensor<64x32xf32>) outs(%s : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// A dot product along rows: one key row against every query row, marked
// as reducing along rows.

// CHECK-LABEL: func.func @dot
// CHECK:               linalg.generic
// CHECK-SAME:            ins(%{{.*}}, %{{.*}} : tensor<1x64xf32>, tensor<4x64xf32>) outs(%{{.*}} : tensor<1x4xf32>)
// CHECK-SAME:            attrs = {attn_codegen.row_reduction}
func.func @dot(%k: tensor<8x64xf32>, %q: tensor<4x64xf32>, %s: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, r, c) -> (k, c)>, affine_map<(k, r, c) -> (r, c)>,
                          affine_map<(k, r, c) -> (k, r)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %q : tensor<8x64xf32>, tensor<4x64xf32>) outs(%s : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// 24 packed heads: 4x24 blocks, whose loop is marked for unrolling to
// native vectors.

// CHECK-LABEL: func.func @contraction_24_lanes
// CHECK:               linalg.generic
// CHECK-SAME:            outs(%{{.*}} : tensor<4x24xf32>)
// CHECK:             } {attn_codegen.unroll_lanes}
func.func @contraction_24_lanes(%k: tensor<64x128xf32>, %qt: tensor<128x24xf32>, %s: tensor<64x24xf32>) -> tensor<64x24xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                          affine_map<(k, q, c) -> (k, q)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %qt : tensor<64x128xf32>, tensor<128x24xf32>) outs(%s : tensor<64x24xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<64x24xf32>
  return %r : tensor<64x24xf32>
}

// -----

// A decode key step: the score tiles, one K row each, plan to prefetch the
// next K tile's row and the V rows of the same keys; the P.V blocks then
// plan nothing. With prefetch=false nothing is planned.

// CHECK-LABEL: func.func @streamed_key_step
// CHECK:         tensor.extract_slice %{{.*}} {attn_codegen.key_tile = array<i64: 0, 2>}
// CHECK:               linalg.generic
// CHECK-SAME:            ins(%{{.*}}, %{{.*}} : tensor<1x64xbf16>, tensor<4x64xf32>)
// CHECK-SAME:            attn_codegen.prefetch_key_tiles = array<i64: 0, -1>, attn_codegen.prefetch_value_rows = 1 : i64, attn_codegen.row_reduction
// CHECK:         tensor.extract_slice %{{.*}} {attn_codegen.key_tile = array<i64: 1, 2>}
// CHECK:               linalg.generic
// CHECK-SAME:            ins(%{{.*}}, %{{.*}} : tensor<4x1xf32>, tensor<1x16xbf16>)
// CHECK-NOT:             attn_codegen

// NOPF-LABEL: func.func @streamed_key_step
// NOPF-NOT:     attn_codegen.key_tile
// NOPF-NOT:     attn_codegen.prefetch
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

