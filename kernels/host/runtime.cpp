// The block scheduler behind cuda_host.h: runs a kernel launch on the host,
// one block after another (blockIdx x fastest, then y, then z), each GPU
// thread of a block a ucontext coroutine (threadIdx x fastest). Threads run
// in order until each returns or reaches __syncthreads(); when all wait at
// the barrier, all are released and run again in order. Deterministic: the
// same launch always interleaves the same way.
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda_host.h"

namespace csnas_host {
thread_local dim3 thread_idx;
thread_local dim3 block_idx;
thread_local dim3 block_dim;
thread_local dim3 grid_dim;

namespace {
enum State { RUNNABLE, WAITING, DONE };

struct Slot {
    ucontext_t uc;
    State state;
    dim3 tid;
};

// Stack of one emulated GPU thread; kernels keep little on the stack.
constexpr size_t STACK_BYTES = 256 * 1024;

thread_local ucontext_t scheduler;
thread_local std::vector<Slot>* slots = nullptr;
thread_local std::vector<char*>* stacks = nullptr;
thread_local Slot* current = nullptr;
thread_local void (*body_fn)(void*) = nullptr;
thread_local void* body_ctx = nullptr;

void entry() {
    body_fn(body_ctx);
    current->state = DONE;
    // Returning resumes uc_link, the scheduler.
}

void ensure(size_t n) {
    if (!slots) slots = new std::vector<Slot>();
    if (!stacks) stacks = new std::vector<char*>();
    slots->resize(n);
    while (stacks->size() < n) stacks->push_back(static_cast<char*>(std::malloc(STACK_BYTES)));
}
}  // namespace

void sync_threads() {
    current->state = WAITING;
    swapcontext(&current->uc, &scheduler);
}
}  // namespace csnas_host

using namespace csnas_host;

// Runs body(ctx) once per GPU thread of the grid; body calls the kernel.
// Returns 0, or 1 when a block's threads disagree on a barrier, or 2 when
// the block is empty or too large (over 1024 threads, CUDA's limit).
extern "C" int csnas_host_launch(const unsigned int* grid, const unsigned int* block,
                                 void (*body)(void*), void* ctx) {
    size_t n = size_t(block[0]) * block[1] * block[2];
    if (n == 0 || n > 1024) return 2;
    ensure(n);
    body_fn = body;
    body_ctx = ctx;
    grid_dim = dim3{grid[0], grid[1], grid[2]};
    block_dim = dim3{block[0], block[1], block[2]};
    for (unsigned int bz = 0; bz < grid[2]; ++bz)
        for (unsigned int by = 0; by < grid[1]; ++by)
            for (unsigned int bx = 0; bx < grid[0]; ++bx) {
                block_idx = dim3{bx, by, bz};
                for (size_t t = 0; t < n; ++t) {
                    Slot& s = (*slots)[t];
                    getcontext(&s.uc);
                    s.uc.uc_stack.ss_sp = (*stacks)[t];
                    s.uc.uc_stack.ss_size = STACK_BYTES;
                    s.uc.uc_link = &scheduler;
                    makecontext(&s.uc, entry, 0);
                    s.state = RUNNABLE;
                    s.tid = dim3{unsigned(t % block[0]), unsigned((t / block[0]) % block[1]),
                                 unsigned(t / (size_t(block[0]) * block[1]))};
                }
                for (;;) {
                    for (size_t t = 0; t < n; ++t) {
                        Slot& s = (*slots)[t];
                        if (s.state != RUNNABLE) continue;
                        current = &s;
                        thread_idx = s.tid;
                        swapcontext(&scheduler, &s.uc);
                    }
                    size_t done = 0, waiting = 0;
                    for (size_t t = 0; t < n; ++t) {
                        if ((*slots)[t].state == DONE) ++done;
                        if ((*slots)[t].state == WAITING) ++waiting;
                    }
                    if (done == n) break;
                    if (done > 0) {
                        std::fprintf(stderr,
                                     "csnas_host_launch: block (%u,%u,%u): %zu threads returned "
                                     "while %zu wait at __syncthreads()\n",
                                     bx, by, bz, done, waiting);
                        return 1;
                    }
                    for (size_t t = 0; t < n; ++t) (*slots)[t].state = RUNNABLE;
                }
            }
    return 0;
}
