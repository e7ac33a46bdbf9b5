// RUN: attn-opt %s --attn-legalize-vector-ops --split-input-file | FileCheck %s

// A vector of i1 is bit-packed in LLVM's memory model, a memref of i1 holds a
// byte per element: each element is transferred on its own.

// CHECK-LABEL: func.func @bool_transfers
// CHECK-COUNT-2: vector.transfer_read {{.*}} : tensor<4xi64>, vector<4xi64>
// CHECK-NOT:     vector.transfer_write {{.*}} vector<4xi1>
// CHECK-COUNT-4: vector.transfer_write {{.*}} : vector<1xi1>, tensor<4xi1>
// CHECK-NOT:     vector.transfer_write
// CHECK:         return
func.func @bool_transfers(%a: tensor<4xi64>, %b: tensor<4xi64>,
                          %out: tensor<4xi1>) -> tensor<4xi1> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0 : i64
  %x = vector.transfer_read %a[%c0], %pad : tensor<4xi64>, vector<4xi64>
  %y = vector.transfer_read %b[%c0], %pad : tensor<4xi64>, vector<4xi64>
  %le = arith.cmpi sle, %x, %y : vector<4xi64>
  %r = vector.transfer_write %le, %out[%c0] : vector<4xi1>, tensor<4xi1>
  return %r : tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @bool_read_2d
// CHECK-COUNT-6: vector.transfer_read {{.*}} : tensor<2x3xi1>, vector<1x1xi1>
// CHECK-NOT:     vector.transfer_read
// CHECK:         arith.select {{.*}} : vector<2x3xi1>, vector<2x3xf32>
func.func @bool_read_2d(%m: tensor<2x3xi1>, %x: vector<2x3xf32>,
                        %y: vector<2x3xf32>) -> vector<2x3xf32> {
  %c0 = arith.constant 0 : index
  %false = arith.constant false
  %keep = vector.transfer_read %m[%c0, %c0], %false
      : tensor<2x3xi1>, vector<2x3xi1>
  %r = arith.select %keep, %x, %y : vector<2x3xi1>, vector<2x3xf32>
  return %r : vector<2x3xf32>
}

// -----

// Whole bytes are stored as they are addressed: i8 vectors stay whole.

// CHECK-LABEL: func.func @byte_transfers
// CHECK:         vector.transfer_write {{.*}} : vector<16xi8>, memref<16xi8>
func.func @byte_transfers(%v: vector<16xi8>, %m: memref<16xi8>) {
  %c0 = arith.constant 0 : index
  vector.transfer_write %v, %m[%c0] : vector<16xi8>, memref<16xi8>
  return
}

// -----

// The LLVM lowerings of these ops take rank-1 vectors only: one op per row.

// CHECK-LABEL: func.func @rank_two_math
// CHECK-SAME:    (%[[I:.*]]: vector<2x8xi32>, %[[F:.*]]: vector<2x8xf32>)
// CHECK:         %[[I0:.*]] = vector.extract %[[I]][0] : vector<8xi32> from vector<2x8xi32>
// CHECK:         %[[A0:.*]] = math.absi %[[I0]] : vector<8xi32>
// CHECK:         %[[R0:.*]] = vector.insert %[[A0]], %{{.*}} [0] : vector<8xi32> into vector<2x8xi32>
// CHECK:         %[[I1:.*]] = vector.extract %[[I]][1] : vector<8xi32> from vector<2x8xi32>
// CHECK:         %[[A1:.*]] = math.absi %[[I1]] : vector<8xi32>
// CHECK:         %[[R1:.*]] = vector.insert %[[A1]], %[[R0]] [1] : vector<8xi32> into vector<2x8xi32>
// CHECK-COUNT-2: math.ctlz %{{.*}} : vector<8xi32>
// CHECK-COUNT-2: math.isnan %{{.*}} : vector<8xf32>
// CHECK-COUNT-2: arith.mulsi_extended %{{.*}}, %{{.*}} : vector<8xi32>
// CHECK:         arith.addf %[[F]], %[[F]] : vector<2x8xf32>
// CHECK:         math.exp %{{.*}} : vector<8xf32>
func.func @rank_two_math(%i: vector<2x8xi32>, %f: vector<2x8xf32>)
    -> (vector<2x8xi32>, vector<2x8xi32>, vector<2x8xi1>, vector<2x8xi32>,
        vector<2x8xf32>, vector<8xf32>) {
  %abs = math.absi %i : vector<2x8xi32>
  %lz = math.ctlz %i : vector<2x8xi32>
  %nan = math.isnan %f : vector<2x8xf32>
  %lo, %hi = arith.mulsi_extended %i, %i : vector<2x8xi32>
  %sum = arith.addf %f, %f : vector<2x8xf32>
  %row = vector.extract %f[0] : vector<8xf32> from vector<2x8xf32>
  %exp = math.exp %row : vector<8xf32>
  return %abs, %lz, %nan, %hi, %sum, %exp
      : vector<2x8xi32>, vector<2x8xi32>, vector<2x8xi1>, vector<2x8xi32>,
        vector<2x8xf32>, vector<8xf32>
}

// -----

// llvm.intr.powi takes one scalar exponent: vector fpowi is expanded, into
// multiplications for a constant exponent and powf otherwise. Scalar fpowi
// keeps its intrinsic.

// CHECK-LABEL: func.func @powers
// CHECK-SAME:    (%[[X:.*]]: vector<16xf32>, %[[N:.*]]: vector<16xi64>, %[[S:.*]]: f32, %[[K:.*]]: i64)
// CHECK-NOT:     math.fpowi {{.*}} vector
// CHECK:         %[[SQ:.*]] = arith.mulf %[[X]], %{{.*}} : vector<16xf32>
// CHECK:         %[[NF:.*]] = arith.sitofp %[[N]] : vector<16xi64> to vector<16xf32>
// CHECK:         math.powf %[[X]], %[[NF]] : vector<16xf32>
// CHECK:         math.fpowi %[[S]], %[[K]] : f32, i64
func.func @powers(%x: vector<16xf32>, %n: vector<16xi64>, %s: f32, %k: i64)
    -> (vector<16xf32>, vector<16xf32>, f32) {
  %c2 = arith.constant dense<2> : vector<16xi64>
  %square = math.fpowi %x, %c2 : vector<16xf32>, vector<16xi64>
  %power = math.fpowi %x, %n : vector<16xf32>, vector<16xi64>
  %scalar = math.fpowi %s, %k : f32, i64
  return %square, %power, %scalar : vector<16xf32>, vector<16xf32>, f32
}
