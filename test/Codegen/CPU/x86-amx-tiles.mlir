// RUN: attn-opt %s --split-input-file --attn-x86-amx-tiles | FileCheck %s

// A tile contraction in VNNI form on buffers (the scores of a key step: K
// rows in place, queries packed in pairs): A and B are viewed as rows of
// bf16 pairs, [64, 128] and [64, 64]. Blocks of 2 x 2 accumulator tiles
// (32 x 32 f32) walk the output; each loads its four accumulators, then per
// step of 32 bf16 along the reduction two A and two B tiles, each feeding
// two products (4 steps of the 128-wide reduction, unrolled), and stores
// the accumulators back.

#a = affine_map<(m, n, k, j) -> (m, k, j)>
#b = affine_map<(m, n, k, j) -> (k, n, j)>
#c = affine_map<(m, n, k, j) -> (m, n)>

// CHECK-LABEL: func.func @contraction
// CHECK-SAME:    %[[A:[^:]*]]: memref<64x64x2xbf16, strided<[128, 2, 1], offset: ?>>, %[[B:[^:]*]]: memref<64x32x2xbf16>, %[[C:[^:]*]]: memref<64x32xf32>
// CHECK-DAG:   %[[AROWS:.*]] = memref.collapse_shape %[[A]] {{\[\[}}0], [1, 2]] : {{.*}} into memref<64x128xbf16, strided<[128, 1], offset: ?>>
// CHECK-DAG:   %[[BROWS:.*]] = memref.collapse_shape %[[B]] {{\[\[}}0], [1, 2]] : memref<64x32x2xbf16> into memref<64x64xbf16>
// CHECK:       scf.for %[[M:.*]] = %{{.*}} to %{{.*}} step %[[C32:.*]] {
// CHECK:         scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[M16:.*]] = arith.addi %[[M]], %{{.*}} : index
// CHECK:           %[[N16:.*]] = arith.addi %[[N]], %{{.*}} : index
// CHECK:           %[[C00:.*]] = amx.tile_load %[[C]][%[[M]], %[[N]]] : memref<64x32xf32> into !amx.tile<16x16xf32>
// CHECK:           %[[C01:.*]] = amx.tile_load %[[C]][%[[M]], %[[N16]]]
// CHECK:           %[[C10:.*]] = amx.tile_load %[[C]][%[[M16]], %[[N]]]
// CHECK:           %[[C11:.*]] = amx.tile_load %[[C]][%[[M16]], %[[N16]]]
// CHECK:           %[[A0:.*]] = amx.tile_load %[[AROWS]][%[[M]], %{{.*}}] : memref<64x128xbf16, strided<[128, 1], offset: ?>> into !amx.tile<16x32xbf16>
// CHECK:           %[[A1:.*]] = amx.tile_load %[[AROWS]][%[[M16]], %{{.*}}]
// CHECK:           %[[B0:.*]] = amx.tile_load %[[BROWS]][%{{.*}}, %{{.*}}] : memref<64x64xbf16> into !amx.tile<16x32xbf16>
// CHECK:           %[[B1:.*]] = amx.tile_load %[[BROWS]]
// CHECK:           %[[P00:.*]] = amx.tile_mulf %[[A0]], %[[B0]], %[[C00]] : !amx.tile<16x32xbf16>, !amx.tile<16x32xbf16>, !amx.tile<16x16xf32>
// CHECK:           %[[P01:.*]] = amx.tile_mulf %[[A0]], %[[B1]], %[[C01]]
// CHECK:           %[[P10:.*]] = amx.tile_mulf %[[A1]], %[[B0]], %[[C10]]
// CHECK:           %[[P11:.*]] = amx.tile_mulf %[[A1]], %[[B1]], %[[C11]]
// CHECK-COUNT-12:  amx.tile_mulf
// CHECK-NOT:       amx.tile_mulf
// CHECK-COUNT-4:   amx.tile_store %[[C]]
// CHECK-NOT:   linalg.generic
func.func @contraction(%a: memref<64x64x2xbf16, strided<[128, 2, 1], offset: ?>>,
                       %b: memref<64x32x2xbf16>, %c: memref<64x32xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : memref<64x64x2xbf16, strided<[128, 2, 1], offset: ?>>, memref<64x32x2xbf16>)
      outs(%c : memref<64x32xf32>) attrs = {attn_codegen.amx} {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Scores that a marked fill of zeros wrote just before (only views between)
// start from zeroed tiles, and the fill goes: no memset call between the
// tile instructions of a key loop. 16 rows by 48 columns take blocks of one
// tile; a 32-wide reduction is one step.

#a = affine_map<(m, n, k, j) -> (m, k, j)>
#b = affine_map<(m, n, k, j) -> (k, n, j)>
#c = affine_map<(m, n, k, j) -> (m, n)>

// CHECK-LABEL: func.func @zero_start
// CHECK-NOT:   linalg.fill
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK:           %[[Z:.*]] = amx.tile_zero : !amx.tile<16x16xf32>
// CHECK-NOT:       amx.tile_load %{{.*}} into !amx.tile<16x16xf32>
// CHECK:           %[[P:.*]] = amx.tile_mulf %{{.*}}, %{{.*}}, %[[Z]]
// CHECK-NOT:       amx.tile_mulf
// CHECK:           amx.tile_store %{{.*}}, %[[P]] : memref<16x48xf32>, !amx.tile<16x16xf32>
func.func @zero_start(%a: memref<16x32xbf16>, %b: memref<16x48x2xbf16>, %c: memref<16x48xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill {attn_codegen.amx} ins(%zero : f32) outs(%c : memref<16x48xf32>)
  %pairs = memref.expand_shape %a [[0], [1, 2]] output_shape [16, 16, 2] : memref<16x32xbf16> into memref<16x16x2xbf16>
  linalg.generic {indexing_maps = [#a, #b, #c],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%pairs, %b : memref<16x16x2xbf16>, memref<16x48x2xbf16>)
      outs(%c : memref<16x48xf32>) attrs = {attn_codegen.amx} {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A VNNI pack: out[p, n, j] = in[p, j, n], rows 2p and 2p + 1 of a V tile
// interleaved element by element, 32 bf16 of each at a time, into row p of
// the packed tile viewed [32, 256].

#in = affine_map<(p, n, j) -> (p, j, n)>
#out = affine_map<(p, n, j) -> (p, n, j)>

// CHECK-LABEL: func.func @pack
// CHECK-SAME:    %[[IN:[^:]*]]: memref<32x2x128xbf16, strided<[256, 128, 1], offset: ?>>, %[[OUT:[^:]*]]: memref<32x128x2xbf16>
// CHECK:       %[[FLAT:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0], [1, 2]] : memref<32x128x2xbf16> into memref<32x256xbf16>
// CHECK:       scf.for %[[P:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:         scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %[[STEP:.*]] {
// CHECK:           %[[R0:.*]] = vector.transfer_read %[[IN]][%[[P]], %{{.*}}, %[[N]]], %{{.*}} {in_bounds = [true]} : {{.*}}, vector<32xbf16>
// CHECK:           %[[R1:.*]] = vector.transfer_read %[[IN]][%[[P]], %{{.*}}, %[[N]]], %{{.*}} {in_bounds = [true]} : {{.*}}, vector<32xbf16>
// CHECK:           %[[PAIRS:.*]] = vector.interleave %[[R0]], %[[R1]] : vector<32xbf16> -> vector<64xbf16>
// CHECK:           %[[COL:.*]] = arith.muli %[[N]], %{{.*}} : index
// CHECK:           vector.transfer_write %[[PAIRS]], %[[FLAT]][%[[P]], %[[COL]]] {in_bounds = [true]} : vector<64xbf16>, memref<32x256xbf16>
// CHECK-NOT:   linalg.generic
func.func @pack(%in: memref<32x2x128xbf16, strided<[256, 128, 1], offset: ?>>,
                %out: memref<32x128x2xbf16>) {
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%in : memref<32x2x128xbf16, strided<[256, 128, 1], offset: ?>>)
      outs(%out : memref<32x128x2xbf16>) attrs = {attn_codegen.amx} {
  ^bb0(%x: bf16, %y: bf16):
    linalg.yield %x : bf16
  }
  return
}

// -----

// Ops not marked for AMX are left alone.

#in = affine_map<(p, n, j) -> (p, j, n)>
#out = affine_map<(p, n, j) -> (p, n, j)>

// CHECK-LABEL: func.func @unmarked
// CHECK:       linalg.generic
// CHECK-NOT:   vector.interleave
func.func @unmarked(%in: memref<32x2x128xbf16>, %out: memref<32x128x2xbf16>) {
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%in : memref<32x2x128xbf16>) outs(%out : memref<32x128x2xbf16>) {
  ^bb0(%x: bf16, %y: bf16):
    linalg.yield %x : bf16
  }
  return
}
