// RUN: attn-opt %s --split-input-file --attn-mpi-world-communicator | FileCheck %s

// A one-axis grid: the split of MPI_COMM_WORLD by one color is the world.
shard.grid @tensor_parallel(shape = 4) {sym_visibility = "private"}
// CHECK-LABEL: func.func @one_axis
// CHECK-SAME: (%[[BUF:.*]]: memref<8xf32>)
// CHECK: %[[WORLD:.*]] = mpi.comm_world
// CHECK-NOT: mpi.comm_split
// CHECK: mpi.allreduce(%[[BUF]], %[[BUF]], MPI_SUM, %[[WORLD]])
func.func @one_axis(%buf: memref<8xf32>) {
  %c0 = arith.constant 0 : i32
  %world = mpi.comm_world : !mpi.comm
  %retval, %rank = mpi.comm_rank(%world) : !mpi.retval, i32
  %split = mpi.comm_split(%world, %c0, %rank) : !mpi.comm
  mpi.allreduce(%buf, %buf, MPI_SUM, %split) : memref<8xf32>, memref<8xf32>
  return
}

// -----

// A grid of two axes: a collective over one axis is a real sub-communicator.
shard.grid @grid2d(shape = 2x2)
// CHECK-LABEL: func.func @two_axes
// CHECK: %[[SPLIT:.*]] = mpi.comm_split
// CHECK: mpi.allreduce({{.*}}, %[[SPLIT]])
func.func @two_axes(%buf: memref<8xf32>, %color: i32) {
  %c0 = arith.constant 0 : i32
  %world = mpi.comm_world : !mpi.comm
  %retval, %rank = mpi.comm_rank(%world) : !mpi.retval, i32
  %split = mpi.comm_split(%world, %c0, %rank) : !mpi.comm
  mpi.allreduce(%buf, %buf, MPI_SUM, %split) : memref<8xf32>, memref<8xf32>
  return
}

// -----

// A color that differs between ranks makes several communicators.
shard.grid @tensor_parallel(shape = 4) {sym_visibility = "private"}
// CHECK-LABEL: func.func @varying_color
// CHECK: %[[SPLIT:.*]] = mpi.comm_split
// CHECK: mpi.allreduce({{.*}}, %[[SPLIT]])
func.func @varying_color(%buf: memref<8xf32>, %color: i32) {
  %world = mpi.comm_world : !mpi.comm
  %retval, %rank = mpi.comm_rank(%world) : !mpi.retval, i32
  %split = mpi.comm_split(%world, %color, %rank) : !mpi.comm
  mpi.allreduce(%buf, %buf, MPI_SUM, %split) : memref<8xf32>, memref<8xf32>
  return
}
