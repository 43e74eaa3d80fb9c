#pragma once
// The simulator's one source of randomness: SplitMix64, seeded once per run. Every
// random choice (generated task ids included) comes from here, so a seed fixes a run.
#include <cstdint>
#include <string>

namespace th {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next_u64() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound), bound > 0. Modulo bias is irrelevant at these bounds.
  uint64_t below(uint64_t bound) { return next_u64() % bound; }

  // A random (version 4) UUID in its 36-character text form.
  std::string uuid4() {
    static constexpr char kHex[] = "0123456789abcdef";
    uint64_t hi = next_u64();
    uint64_t lo = next_u64();
    hi = (hi & ~0xf000ULL) | 0x4000ULL;                          // version 4
    lo = (lo & ~(0xc000ULL << 48)) | (0x8000ULL << 48);          // variant 10
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 32; ++i) {
      const uint64_t word = i < 16 ? hi : lo;
      const int shift = 60 - 4 * (i % 16);
      out.push_back(kHex[(word >> shift) & 0xf]);
      if (i == 7 || i == 11 || i == 15 || i == 19) out.push_back('-');
    }
    return out;
  }

 private:
  uint64_t state_;
};

}  // namespace th
