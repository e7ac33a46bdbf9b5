// RUN: attn-opt %s --attn-x86-emulate-amx | FileCheck %s

// Tiles become 2-D vectors: loads and stores are transfers of the same
// rows, a zero tile a zero vector, and a bf16 product an f32 contraction
// with B's VNNI pairs unpacked ([16, 32] -> [16, 16, 2] -> [16, 2, 16] ->
// [32, 16]: row 2k + j of B' is element j of each pair of B's row k).

// CHECK-LABEL: func.func @product
// CHECK-SAME:    %[[A:[^:]*]]: memref<16x64xbf16>, %[[B:[^:]*]]: memref<16x32xbf16>, %[[C:[^:]*]]: memref<16x16xf32>
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16x16xf32>
// CHECK:       %[[VA:.*]] = vector.transfer_read %[[A]][%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true, true]} : memref<16x64xbf16>, vector<16x32xbf16>
// CHECK:       %[[VB:.*]] = vector.transfer_read %[[B]][%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true, true]} : memref<16x32xbf16>, vector<16x32xbf16>
// CHECK:       %[[WB:.*]] = arith.extf %[[VB]] : vector<16x32xbf16> to vector<16x32xf32>
// CHECK:       %[[PAIRS:.*]] = vector.shape_cast %[[WB]] : vector<16x32xf32> to vector<16x16x2xf32>
// CHECK:       %[[BYPAIR:.*]] = vector.transpose %[[PAIRS]], [0, 2, 1] : vector<16x16x2xf32> to vector<16x2x16xf32>
// CHECK:       %[[UNPACKED:.*]] = vector.shape_cast %[[BYPAIR]] : vector<16x2x16xf32> to vector<32x16xf32>
// CHECK:       %[[WA:.*]] = arith.extf %[[VA]] : vector<16x32xbf16> to vector<16x32xf32>
// CHECK:       %[[R:.*]] = vector.contract {{.*}} %[[WA]], %[[UNPACKED]], %[[ZERO]] : vector<16x32xf32>, vector<32x16xf32> into vector<16x16xf32>
// CHECK:       vector.transfer_write %[[R]], %[[C]][%{{.*}}, %{{.*}}] {in_bounds = [true, true]} : vector<16x16xf32>, memref<16x16xf32>
// CHECK-NOT:   amx.
func.func @product(%a: memref<16x64xbf16>, %b: memref<16x32xbf16>, %c: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %z = amx.tile_zero : !amx.tile<16x16xf32>
  %ta = amx.tile_load %a[%c0, %c32] : memref<16x64xbf16> into !amx.tile<16x32xbf16>
  %tb = amx.tile_load %b[%c0, %c0] : memref<16x32xbf16> into !amx.tile<16x32xbf16>
  %p = amx.tile_mulf %ta, %tb, %z : !amx.tile<16x32xbf16>, !amx.tile<16x32xbf16>, !amx.tile<16x16xf32>
  amx.tile_store %c[%c0, %c0], %p : memref<16x16xf32>, !amx.tile<16x16xf32>
  return
}

