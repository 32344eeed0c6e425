// driver.cpp - times bench/approximate_math.sh's ops: 256x1024 f32, polynomial
// vs libm.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>
struct D {
  float *a, *b;
  int64_t off, sizes[2], strides[2];
};
extern "C" void mlopt_parallel_for(void (*body)(void *, int64_t, int64_t),
                                   void *ctx, int64_t b, int64_t e, int64_t) {
  body(ctx, b, e);
}
#define F(op)                                                                  \
  extern "C" void f_##op##_true(D *, D *);                                     \
  extern "C" void f_##op##_false(D *, D *);
F(gelu) F(gelu_tanh) F(exp) F(tanh) F(log) F(sigmoid) int main() {
  const int64_t n = 256 * 1024;
  std::vector<float> in(n), out(n);
  for (int64_t i = 0; i < n; ++i)
    in[i] = -6.0f + 12.0f * (float)((i * 7919) % n) / n;
  std::vector<float> pos(n);
  for (int64_t i = 0; i < n; ++i)
    pos[i] = std::fabs(in[i]) + 1e-3f;
  struct {
    const char *name;
    void (*on)(D *, D *);
    void (*off)(D *, D *);
    bool positive;
  } ops[] = {{"gelu (erf)", f_gelu_true, f_gelu_false, false},
             {"gelu (tanh)", f_gelu_tanh_true, f_gelu_tanh_false, false},
             {"exp", f_exp_true, f_exp_false, false},
             {"tanh", f_tanh_true, f_tanh_false, false},
             {"log", f_log_true, f_log_false, true},
             {"sigmoid", f_sigmoid_true, f_sigmoid_false, false}};
  for (auto &op : ops) {
    D x{op.positive ? pos.data() : in.data(),
        op.positive ? pos.data() : in.data(),
        0,
        {256, 1024},
        {1024, 1}};
    D y{out.data(), out.data(), 0, {256, 1024}, {1024, 1}};
    double best[2];
    for (int k = 0; k < 2; ++k) {
      auto fn = k == 0 ? op.on : op.off;
      std::vector<double> t;
      for (int r = 0; r < 41; ++r) {
        auto s = std::chrono::steady_clock::now();
        fn(&x, &y);
        t.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - s)
                .count());
      }
      std::sort(t.begin(), t.end());
      best[k] = t[t.size() / 2];
    }
    std::printf("%-12s polynomial %7.3f ms (%6.0f Melem/s)  libm %7.3f ms "
                "(%6.0f Melem/s)  x%.1f\n",
                op.name, best[0] * 1e3, n / best[0] / 1e6, best[1] * 1e3,
                n / best[1] / 1e6, best[1] / best[0]);
  }
}
