//===- NameTable.h - The unique names of a graph's nodes or parameters -*- C++ -*-===//
//
// A string-keyed table of llvm::StringMapEntry<T *> (the entry holds the key,
// as in llvm::StringMap, so nodes and parameters keep pointing at their
// entry), indexed by open addressing over 16-byte slots of full hash and
// entry. It differs from llvm::StringMap where large graphs need it:
//
//   * a probe reads one slot (one cache line), where StringMap reads a bucket
//     array and a separate hash array;
//   * prefetch(Key) starts loading a key's slot, so a pass that creates
//     millions of named nodes can overlap the cache misses of the next names
//     with its current work (once the table outgrows the caches, every new
//     name is a miss: this is what made prepare's time per node grow with
//     graph size);
//   * entries are bump-allocated next to each other (erased entries are
//     freed with the table).
//
// Nothing iterates the table, so its order is never observable.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_NAMETABLE_H
#define QATC_IR_NAMETABLE_H

#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/StringMapEntry.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Allocator.h"

#include <cassert>
#include <cstdint>
#include <memory>
#include <utility>

namespace qatc {

/// Unique names mapped to T pointers (see the file comment).
template <typename T> class NameTable {
public:
  using Entry = llvm::StringMapEntry<T *>;

  NameTable() = default;
  NameTable(const NameTable &) = delete;
  NameTable &operator=(const NameTable &) = delete;

  /// The number of names.
  size_t size() const { return Count; }

  /// The entry of Key, or null.
  Entry *find(llvm::StringRef Key) const {
    if (!Count)
      return nullptr;
    uint64_t H = hash(Key);
    for (size_t I = H & Mask;; I = (I + 1) & Mask) {
      const Slot &S = Slots[I];
      if (!S.E)
        return nullptr;
      if (S.Hash == H && S.E->getKey() == Key)
        return S.E;
    }
  }

  /// Adds Key -> Value unless Key is present; returns Key's entry and whether
  /// it was added.
  std::pair<Entry *, bool> insert(llvm::StringRef Key, T *Value) {
    if ((Count + 1) * 4 > Capacity * 3)
      grow();
    uint64_t H = hash(Key);
    size_t I = H & Mask;
    for (;; I = (I + 1) & Mask) {
      Slot &S = Slots[I];
      if (!S.E)
        break;
      if (S.Hash == H && S.E->getKey() == Key)
        return {S.E, false};
    }
    Entry *E = Entry::create(Key, Alloc, Value);
    Slots[I] = {H, E};
    ++Count;
    return {E, true};
  }

  /// Removes Key's entry, if any; returns whether there was one.
  bool erase(llvm::StringRef Key) {
    if (!Count)
      return false;
    uint64_t H = hash(Key);
    size_t I = H & Mask;
    for (;; I = (I + 1) & Mask) {
      const Slot &S = Slots[I];
      if (!S.E)
        return false;
      if (S.Hash == H && S.E->getKey() == Key)
        break;
    }
    Slots[I].E->Destroy(Alloc);
    // Backward-shift deletion keeps every probe sequence unbroken.
    for (size_t J = (I + 1) & Mask; Slots[J].E; J = (J + 1) & Mask) {
      size_t Home = Slots[J].Hash & Mask;
      // Move J into the hole at I unless its home lies cyclically in (I, J].
      if (((J - Home) & Mask) >= ((J - I) & Mask)) {
        Slots[I] = Slots[J];
        I = J;
      }
    }
    Slots[I] = {};
    --Count;
    return true;
  }

  /// Starts loading the slot where Key is or would go; only a hint.
  void prefetch(llvm::StringRef Key) const {
    if (Capacity)
      __builtin_prefetch(&Slots[hash(Key) & Mask]);
  }

  /// Makes room for N names in all, so adding up to N grows the slots at most
  /// once, here.
  void reserve(size_t N) {
    while (N * 4 > Capacity * 3)
      grow();
  }

private:
  struct Slot {
    uint64_t Hash = 0;
    /// Null for an empty slot.
    Entry *E = nullptr;
  };

  static uint64_t hash(llvm::StringRef Key) { return llvm::hash_value(Key); }

  /// Doubles the slots (at most 3/4 full, so probes stay short).
  void grow() {
    size_t NewCapacity = Capacity ? Capacity * 2 : 64;
    std::unique_ptr<Slot[]> Old = std::move(Slots);
    size_t OldCapacity = Capacity;
    Slots = std::make_unique<Slot[]>(NewCapacity);
    Capacity = NewCapacity;
    Mask = NewCapacity - 1;
    for (size_t I = 0; I < OldCapacity; ++I) {
      if (!Old[I].E)
        continue;
      size_t J = Old[I].Hash & Mask;
      while (Slots[J].E)
        J = (J + 1) & Mask;
      Slots[J] = Old[I];
    }
  }

  std::unique_ptr<Slot[]> Slots;
  size_t Capacity = 0;
  size_t Mask = 0;
  size_t Count = 0;
  llvm::BumpPtrAllocator Alloc;
};

} // namespace qatc

#endif // QATC_IR_NAMETABLE_H
