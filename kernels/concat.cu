// Rust op: src/ops/concat (concat_channels, split_channels). Pure copies, no
// arithmetic, so bit-identical to the CPU reference. One kernel copies
// `chans` channels of an NCHW tensor with `src_c` channels, starting at
// channel `src_c0`, into a tensor with `dst_c` channels at channel `dst_c0`:
// concat is one launch per input (src_c0 = 0), split one launch per piece
// (dst_c0 = 0). One thread per copied element.

extern "C" __global__ void copy_channels_f32(const float* src, unsigned long long src_c,
                                             unsigned long long src_c0, float* dst,
                                             unsigned long long dst_c, unsigned long long dst_c0,
                                             unsigned long long batch, unsigned long long chans,
                                             unsigned long long plane) {
    unsigned long long n = batch * chans * plane;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long p = i % plane;
        unsigned long long c = (i / plane) % chans;
        unsigned long long b = i / (plane * chans);
        dst[(b * dst_c + dst_c0 + c) * plane + p] = src[(b * src_c + src_c0 + c) * plane + p];
    }
}
