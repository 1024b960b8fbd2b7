// Tessel's C interface: the CS231n layer set (forward and backward, float32 and float64) on
// caller-owned arrays, run on Tessel's multicore scheduler. Implemented in Swift by the
// TesselC target (`swift build -c release --product TesselC` gives libTesselC.so); the Python
// package in python/ calls it through ctypes.
//
// Conventions
// - Every layer function returns a `tessel_status`; on anything but TESSEL_OK it sets
//   `*error` to a message (free it with tessel_string_free) naming the layer, the argument
//   and the shapes, and sets no output.
// - Inputs are `tessel_array` descriptors of caller memory. Each input is copied once, in
//   the call, into Tessel's 64-byte-aligned storage (any strides, also negative or zero), so
//   the caller may change or free its arrays as soon as the call returns.
// - Outputs are `tessel_tensor` handles: read the shape with tessel_tensor_shape, then either
//   use the elements in place (tessel_tensor_data) until tessel_tensor_release, or copy them
//   out with tessel_tensor_take, which also releases the handle.
// - A forward call also returns a `tessel_cache` handle holding what its backward needs; it
//   may be used by any number of backward calls and is released with tessel_cache_release.
// - All arrays of one call have the same dtype. Calls may run concurrently from several
//   threads; each runs on up to tessel_get_num_threads() threads and gives the same bits for
//   any thread count.
#ifndef TESSEL_H
#define TESSEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The largest rank an array may have.
#define TESSEL_MAX_RANK 8

/// Element types (`tessel_array.dtype`).
#define TESSEL_FLOAT32 0
#define TESSEL_FLOAT64 1

/// Layer modes (`mode` arguments): as CS231n's "train" and "test".
#define TESSEL_TRAIN 0
#define TESSEL_TEST 1

/// Return values of the layer functions.
typedef int32_t tessel_status;
#define TESSEL_OK 0
/// A shape, a parameter or a dtype is wrong (Python: ValueError).
#define TESSEL_INVALID_ARGUMENT 1
/// An allocation was refused (Python: MemoryError).
#define TESSEL_OUT_OF_MEMORY 2
/// Any other failure (Python: RuntimeError).
#define TESSEL_FAILURE 3

/// A caller-owned n-dimensional array: element (i0, i1, ...) is at
/// `data + i0 * strides[0] + i1 * strides[1] + ...` bytes.
typedef struct {
    const void *data;
    int32_t dtype;                    ///< TESSEL_FLOAT32 or TESSEL_FLOAT64
    int32_t rank;                     ///< 0 ... TESSEL_MAX_RANK
    int64_t shape[TESSEL_MAX_RANK];   ///< dimensions, outermost first; the first `rank` are used
    int64_t strides[TESSEL_MAX_RANK]; ///< bytes between neighbours along each dimension
} tessel_array;

/// A tensor made by Tessel (an output).
typedef struct tessel_tensor tessel_tensor;
/// What a forward call keeps for its backward.
typedef struct tessel_cache tessel_cache;

// MARK: Runtime

/// Sets the number of threads each call uses (n >= 1). The default is TESSEL_THREADS from the
/// environment, else every online CPU.
tessel_status tessel_set_num_threads(int64_t n, char **error);
/// The number of threads each call uses.
int64_t tessel_get_num_threads(void);
/// Frees a message returned through `error`.
void tessel_string_free(char *string);

// MARK: Handles

/// Writes the tensor's dimensions into `shape` and returns its rank (-1 for a NULL tensor).
int32_t tessel_tensor_shape(const tessel_tensor *tensor, int64_t shape[TESSEL_MAX_RANK]);
/// The tensor's elements, row-major, 64-byte aligned; they may be read and written until the
/// tensor is released (a caller can thus hand them out without a copy, as the Python package does).
void *tessel_tensor_data(tessel_tensor *tensor);
/// Copies the tensor's elements, row-major, to `destination` (room for all of them, in the
/// tensor's dtype) and releases the tensor.
void tessel_tensor_take(tessel_tensor *tensor, void *destination);
/// Releases a tensor without reading it.
void tessel_tensor_release(tessel_tensor *tensor);
/// Releases a cache.
void tessel_cache_release(tessel_cache *cache);

// MARK: Layers (CS231n's functions; shapes as in its docstrings)

/// x: (N, d1, ..., dk), w: (D, M), b: (M,); out: (N, M).
tessel_status tessel_affine_forward(const tessel_array *x, const tessel_array *w, const tessel_array *b,
                                    tessel_tensor **out, tessel_cache **cache, char **error);
/// dout: (N, M); dx like x, dw like w, db like b.
tessel_status tessel_affine_backward(const tessel_array *dout, const tessel_cache *cache,
                                     tessel_tensor **dx, tessel_tensor **dw, tessel_tensor **db, char **error);

/// x: any shape; out like x.
tessel_status tessel_relu_forward(const tessel_array *x, tessel_tensor **out, tessel_cache **cache, char **error);
/// dout like x; dx like x.
tessel_status tessel_relu_backward(const tessel_array *dout, const tessel_cache *cache, tessel_tensor **dx, char **error);

/// x: (N, D), gamma, beta, running_mean, running_var: (D,). In train mode the updated running
/// statistics come back in running_mean_out / running_var_out (NULL in test mode).
tessel_status tessel_batchnorm_forward(const tessel_array *x, const tessel_array *gamma, const tessel_array *beta,
                                       int32_t mode, double eps, double momentum,
                                       const tessel_array *running_mean, const tessel_array *running_var,
                                       tessel_tensor **out, tessel_tensor **running_mean_out,
                                       tessel_tensor **running_var_out, tessel_cache **cache, char **error);
/// Backward through the computation graph (CS231n's batchnorm_backward).
tessel_status tessel_batchnorm_backward(const tessel_array *dout, const tessel_cache *cache,
                                        tessel_tensor **dx, tessel_tensor **dgamma, tessel_tensor **dbeta, char **error);
/// The simplified closed form (CS231n's batchnorm_backward_alt).
tessel_status tessel_batchnorm_backward_alt(const tessel_array *dout, const tessel_cache *cache,
                                            tessel_tensor **dx, tessel_tensor **dgamma, tessel_tensor **dbeta, char **error);

/// x: (N, D), gamma, beta: (D,).
tessel_status tessel_layernorm_forward(const tessel_array *x, const tessel_array *gamma, const tessel_array *beta,
                                       double eps, tessel_tensor **out, tessel_cache **cache, char **error);
tessel_status tessel_layernorm_backward(const tessel_array *dout, const tessel_cache *cache,
                                        tessel_tensor **dx, tessel_tensor **dgamma, tessel_tensor **dbeta, char **error);

/// Inverted dropout; p is the probability of KEEPING an element, in (0, 1]. With has_seed = 0
/// a fresh seed is drawn from the system generator.
tessel_status tessel_dropout_forward(const tessel_array *x, double p, int32_t mode, int32_t has_seed, uint64_t seed,
                                     tessel_tensor **out, tessel_cache **cache, char **error);
tessel_status tessel_dropout_backward(const tessel_array *dout, const tessel_cache *cache, tessel_tensor **dx, char **error);

/// x: (N, C, H, W), w: (F, C, HH, WW), b: (F,); out: (N, F, H', W').
tessel_status tessel_conv_forward(const tessel_array *x, const tessel_array *w, const tessel_array *b,
                                  int64_t stride, int64_t pad, tessel_tensor **out, tessel_cache **cache, char **error);
tessel_status tessel_conv_backward(const tessel_array *dout, const tessel_cache *cache,
                                   tessel_tensor **dx, tessel_tensor **dw, tessel_tensor **db, char **error);

/// x: (N, C, H, W); out: (N, C, H', W').
tessel_status tessel_max_pool_forward(const tessel_array *x, int64_t pool_height, int64_t pool_width, int64_t stride,
                                      tessel_tensor **out, tessel_cache **cache, char **error);
tessel_status tessel_max_pool_backward(const tessel_array *dout, const tessel_cache *cache, tessel_tensor **dx, char **error);

/// x: (N, C, H, W), gamma, beta, running_mean, running_var: (C,); as tessel_batchnorm_forward.
tessel_status tessel_spatial_batchnorm_forward(const tessel_array *x, const tessel_array *gamma, const tessel_array *beta,
                                               int32_t mode, double eps, double momentum,
                                               const tessel_array *running_mean, const tessel_array *running_var,
                                               tessel_tensor **out, tessel_tensor **running_mean_out,
                                               tessel_tensor **running_var_out, tessel_cache **cache, char **error);
tessel_status tessel_spatial_batchnorm_backward(const tessel_array *dout, const tessel_cache *cache,
                                                tessel_tensor **dx, tessel_tensor **dgamma, tessel_tensor **dbeta, char **error);

/// x: (N, C, H, W), gamma, beta: (C,) or (1, C, 1, 1); groups divides C.
tessel_status tessel_spatial_groupnorm_forward(const tessel_array *x, const tessel_array *gamma, const tessel_array *beta,
                                               int64_t groups, double eps, tessel_tensor **out, tessel_cache **cache,
                                               char **error);
tessel_status tessel_spatial_groupnorm_backward(const tessel_array *dout, const tessel_cache *cache,
                                                tessel_tensor **dx, tessel_tensor **dgamma, tessel_tensor **dbeta, char **error);

/// x: (N, C) scores, y: N labels in 0 ..< C; the mean loss goes to *loss (in x's dtype, widened).
tessel_status tessel_svm_loss(const tessel_array *x, const int64_t *y, int64_t label_count,
                              double *loss, tessel_tensor **dx, char **error);
tessel_status tessel_softmax_loss(const tessel_array *x, const int64_t *y, int64_t label_count,
                                  double *loss, tessel_tensor **dx, char **error);

#ifdef __cplusplus
}
#endif

#endif
