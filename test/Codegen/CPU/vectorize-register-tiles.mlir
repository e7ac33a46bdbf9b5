// RUN: attn-opt %s --split-input-file --attn-vectorize-register-tiles | FileCheck %s

// A register tile marked as reducing along rows (one key row against four
// query rows) becomes a multi-reduction along the row, marked in turn.

// CHECK-LABEL: func.func @row_dot
// CHECK:         %[[K:.*]] = vector.transfer_read {{.*}} : tensor<1x64xf32>, vector<1x4x64xf32>
// CHECK:         %[[Q:.*]] = vector.transfer_read {{.*}} : tensor<4x64xf32>, vector<1x4x64xf32>
// CHECK:         %[[P:.*]] = arith.mulf %[[K]], %[[Q]] : vector<1x4x64xf32>
// CHECK:         vector.multi_reduction <add>, %[[P]], %{{.*}} {attn_codegen.row_reduction} [2] : vector<1x4x64xf32> to vector<1x4xf32>
// CHECK-NOT:     linalg.generic
func.func @row_dot(%k: tensor<1x64xf32>, %q: tensor<4x64xf32>, %s: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, r, c) -> (k, c)>, affine_map<(k, r, c) -> (r, c)>,
                          affine_map<(k, r, c) -> (k, r)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %q : tensor<1x64xf32>, tensor<4x64xf32>) outs(%s : tensor<1x4xf32>)
       attrs = {attn_codegen.row_reduction} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}

// -----

// An unmarked contraction block: its reduction is not marked.

// CHECK-LABEL: func.func @block
// CHECK:         vector.multi_reduction <add>, %{{.*}}, %{{.*}} [2] : vector<6x16x1xf32> to vector<6x16xf32>
// CHECK-NOT:     attn_codegen
func.func @block(%k: tensor<6x1xf32>, %q: tensor<1x16xf32>, %s: tensor<6x16xf32>) -> tensor<6x16xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                          affine_map<(k, q, c) -> (k, q)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %q : tensor<6x1xf32>, tensor<1x16xf32>) outs(%s : tensor<6x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<6x16xf32>
  return %r : tensor<6x16xf32>
}

// -----

// A gather by token id inside a tile (its index offset by an affine.apply,
// as tiling leaves it): one row of the table, read whole by the id.

// CHECK-LABEL: func.func @gather_row
// CHECK-NOT:     affine.apply
// CHECK:         %[[ID:.*]] = vector.extract %{{.*}}[0] : index from vector<32xindex>
// CHECK:         vector.transfer_read %{{.*}}[%[[ID]], %{{.*}}], %{{.*}} {in_bounds = [true, true]} : tensor<16x32xf32>, vector<1x32xf32>
// CHECK-NOT:     linalg.generic
func.func @gather_row(%ids: tensor<8xi32>, %table: tensor<16x32xf32>, %o: tensor<1x32xf32>, %i: index) -> tensor<1x32xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(r, c) -> (r, c)>],
         iterator_types = ["parallel", "parallel"]}
       outs(%o : tensor<1x32xf32>) {
  ^bb0(%x: f32):
    %row = linalg.index 0 : index
    %col = linalg.index 1 : index
    %at = affine.apply affine_map<(d0)[s0] -> (d0 + s0)>(%row)[%i]
    %id = tensor.extract %ids[%at] : tensor<8xi32>
    %idx = arith.index_cast %id : i32 to index
    %v = tensor.extract %table[%idx, %col] : tensor<16x32xf32>
    linalg.yield %v : f32
  } -> tensor<1x32xf32>
  return %r : tensor<1x32xf32>
}

// -----

// Dynamically shaped ops are left to the lowering to loops.

// CHECK-LABEL: func.func @dynamic
// CHECK:         linalg.generic
func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(i) -> (i)>],
         iterator_types = ["parallel"]}
       outs(%x : tensor<?xf32>) {
  ^bb0(%a: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}
