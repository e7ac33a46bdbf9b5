// RUN: attn-opt %s --attn-gpu-map-parallel-loops | FileCheck %s
// RUN: attn-opt %s --attn-gpu-map-parallel-loops="threads-x=64 threads-y=4" | FileCheck %s --check-prefix=WIDE
// RUN: not attn-opt %s --attn-gpu-map-parallel-loops="threads-x=64 threads-y=32" 2>&1 | FileCheck %s --check-prefix=ERR

// ERR: error: attn-gpu-map-parallel-loops: threads-x and threads-y must be positive with at most 1024 threads a block, got 64 x 32

// A 4-D loop: blocks of 8 x 32 threads over its last two dimensions (the
// last, contiguous one along thread_x), the grid over its last three (the
// first stays a loop), edge tiles guarded (100 rows in tiles of 8).

// CHECK-LABEL: func.func @scale
// CHECK:         %[[ROWS:.*]] = arith.muli %c1{{.*}}, %c8
// CHECK:         %[[COLS:.*]] = arith.muli %c1{{.*}}, %c32
// CHECK:         scf.parallel {{.*}} to (%c2, %c8, %c100, %c64) step (%{{.*}}, %{{.*}}, %[[ROWS]], %[[COLS]]) {
// CHECK:           scf.parallel {{.*}} to (%{{.*}}, %{{.*}}, %[[ROWS]], %[[COLS]]) step
// CHECK:             %[[ROW:.*]] = arith.cmpi ult, %{{.*}}, %c100 : index
// CHECK:             scf.if
// CHECK:               memref.load
// CHECK:           } {mapping = [#gpu.loop_dim_map<processor = sequential{{.*}}>, #gpu.loop_dim_map<processor = sequential{{.*}}>, #gpu.loop_dim_map<processor = thread_y{{.*}}>, #gpu.loop_dim_map<processor = thread_x{{.*}}>]}
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = sequential{{.*}}>, #gpu.loop_dim_map<processor = block_z{{.*}}>, #gpu.loop_dim_map<processor = block_y{{.*}}>, #gpu.loop_dim_map<processor = block_x{{.*}}>]}

// WIDE-LABEL:  func.func @scale
// WIDE:          arith.muli %c1{{.*}}, %c4
// WIDE:          arith.muli %c1{{.*}}, %c64_

func.func @scale(%x: memref<2x8x100x64xf32>, %y: memref<2x8x100x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c100 = arith.constant 100 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%b, %h, %s, %e) = (%c0, %c0, %c0, %c0) to (%c2, %c8, %c100, %c64) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %x[%b, %h, %s, %e] : memref<2x8x100x64xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %y[%b, %h, %s, %e] : memref<2x8x100x64xf32>
    scf.reduce
  }
  return
}
