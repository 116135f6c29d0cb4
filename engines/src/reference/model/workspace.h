#pragma once
// Scratch memory of the forward pass, reused from step to step so that hot loops allocate
// nothing once the buffers have grown to the largest step seen.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace infermeter::engines::reference {

// A stack of grow-only float buffers. Take() hands out the next buffer (contents unspecified);
// a Scope gives back everything taken since it was opened. Pointers stay valid until their
// Scope closes: buffers are separate heap blocks that never move when more are added.
class Workspace {
 public:
  float* Take(std::size_t floats) {
    if (next_ == buffers_.size()) buffers_.emplace_back();
    std::vector<float>& b = buffers_[next_++];
    if (b.size() < floats) b.resize(floats);
    return b.data();
  }
  template <typename T>
  T* TakeAs(std::size_t count) {
    static_assert(sizeof(T) <= sizeof(float) || sizeof(T) % sizeof(float) == 0);
    return reinterpret_cast<T*>(Take((count * sizeof(T) + sizeof(float) - 1) / sizeof(float)));
  }

  class Scope {
   public:
    explicit Scope(Workspace& w) : w_(w), mark_(w.next_) {}
    ~Scope() { w_.next_ = mark_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Workspace& w_;
    std::size_t mark_;
  };

 private:
  std::vector<std::vector<float>> buffers_;
  std::size_t next_ = 0;
};

// One grow-only buffer per OpenMP thread, sized on the calling thread before a parallel region
// (Reserve) and used inside it (Get(omp_get_thread_num())).
class ThreadScratch {
 public:
  void Reserve(std::size_t floats);
  float* Get(int thread) { return buffers_[static_cast<std::size_t>(thread)].data(); }

 private:
  std::vector<std::vector<float>> buffers_;
};

}  // namespace infermeter::engines::reference
