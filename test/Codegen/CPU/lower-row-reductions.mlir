// RUN: attn-opt %s --split-input-file --attn-lower-row-reductions | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-lower-row-reductions="bf16-dot=1 native-lanes=16 lanes=32" | FileCheck %s --check-prefix=BF16

// A dot product along rows of 64: FMAs into 16-lane partial sums, chunk by
// chunk for the four rows at once, then the four horizontal sums taken
// together by a tree of shuffles (8 native lanes), added to the accumulator.

// CHECK-LABEL: func.func @row_dot
// CHECK-SAME:    %[[K:[^:]*]]: vector<1x4x64xf32>, %[[Q:[^:]*]]: vector<1x4x64xf32>, %[[ACC:[^:]*]]: vector<1x4xf32>
// CHECK:         %[[K0:.*]] = vector.extract_strided_slice %[[K]] {offsets = [0, 0, 0], sizes = [1, 4, 16]
// CHECK:         %[[Q0:.*]] = vector.extract_strided_slice %[[Q]] {offsets = [0, 0, 0], sizes = [1, 4, 16]
// CHECK:         %[[P0:.*]] = arith.mulf %[[K0]], %[[Q0]] : vector<1x4x16xf32>
// CHECK:         %[[P1:.*]] = math.fma %{{.*}}, %{{.*}}, %[[P0]] : vector<1x4x16xf32>
// CHECK:         %[[P2:.*]] = math.fma %{{.*}}, %{{.*}}, %[[P1]] : vector<1x4x16xf32>
// CHECK:         %[[P3:.*]] = math.fma %{{.*}}, %{{.*}}, %[[P2]] : vector<1x4x16xf32>
// CHECK-COUNT-6: vector.shuffle {{.*}} : vector<8xf32>, vector<8xf32>
// CHECK:         %[[SUMS:.*]] = vector.shape_cast %{{.*}} : vector<4xf32> to vector<1x4xf32>
// CHECK:         %[[R:.*]] = arith.addf %[[SUMS]], %[[ACC]] : vector<1x4xf32>
// CHECK-NOT:     vector.multi_reduction
// CHECK:         return %[[R]]
func.func @row_dot(%k: vector<1x4x64xf32>, %q: vector<1x4x64xf32>, %acc: vector<1x4xf32>) -> vector<1x4xf32> {
  %p = arith.mulf %k, %q : vector<1x4x64xf32>
  %r = vector.multi_reduction <add>, %p, %acc {attn_codegen.row_reduction} [2] : vector<1x4x64xf32> to vector<1x4xf32>
  return %r : vector<1x4xf32>
}

// -----

// An unmarked reduction (a register block's, for
// attn-contract-register-blocks) is left alone.

// CHECK-LABEL: func.func @unmarked
// CHECK:         vector.multi_reduction <add>
// CHECK-NOT:     math.fma
func.func @unmarked(%k: vector<1x4x64xf32>, %q: vector<1x4x64xf32>, %acc: vector<1x4xf32>) -> vector<1x4xf32> {
  %p = arith.mulf %k, %q : vector<1x4x64xf32>
  %r = vector.multi_reduction <add>, %p, %acc [2] : vector<1x4x64xf32> to vector<1x4xf32>
  return %r : vector<1x4xf32>
}

// -----

// A row maximum: one vector.reduction per row.

// CHECK-LABEL: func.func @row_max
// CHECK-COUNT-4: vector.reduction <maximumf>, %{{.*}}, %{{.*}} : vector<64xf32> into f32
// CHECK-NOT:     vector.multi_reduction
func.func @row_max(%x: vector<4x64xf32>, %acc: vector<4xf32>) -> vector<4xf32> {
  %r = vector.multi_reduction <maximumf>, %x, %acc {attn_codegen.row_reduction} [1] : vector<4x64xf32> to vector<4xf32>
  return %r : vector<4xf32>
}

// -----

// A dot product of bf16 rows widened to f32: with bf16-dot, bf16 pairs
// multiplied by vdpbf16ps into 16 f32 lanes, two chunks of 32 per row;
// without, FMAs of the widened rows.

// CHECK-LABEL: func.func @bf16_row_dot
// CHECK-NOT:     x86vector
// CHECK:         math.fma

// BF16-LABEL:    func.func @bf16_row_dot
// BF16-COUNT-8:  x86vector.avx512.dot %{{.*}}, %{{.*}}, %{{.*}} : vector<32xbf16> -> vector<16xf32>
// BF16-NOT:      math.fma
// BF16-NOT:      vector.multi_reduction
func.func @bf16_row_dot(%k: vector<1x4x64xbf16>, %q: vector<1x4x64xbf16>, %acc: vector<1x4xf32>) -> vector<1x4xf32> {
  %kw = arith.extf %k : vector<1x4x64xbf16> to vector<1x4x64xf32>
  %qw = arith.extf %q : vector<1x4x64xbf16> to vector<1x4x64xf32>
  %p = arith.mulf %kw, %qw : vector<1x4x64xf32>
  %r = vector.multi_reduction <add>, %p, %acc {attn_codegen.row_reduction} [2] : vector<1x4x64xf32> to vector<1x4xf32>
  return %r : vector<1x4xf32>
}
