// The word counter's tables give their memory back partition by partition as they are merged
// (text.cpp, partition_words): zero_releasing and InlineWordTable::clear_region.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "../../core/src/text/word_table.hpp"

using namespace hotloop;

TEST_CASE("zero_releasing zeroes a range and gives its whole pages back", "[text]") {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t bytes = std::size_t(8) << 20;  // large: advised to use huge pages
    auto* block = static_cast<unsigned char*>(allocate_zeroed(bytes));
    std::memset(block, 0xAB, bytes);
    // From inside one page to inside another: the edges are memset, the pages between released.
    const std::size_t from = page + 100, to = bytes - 3 * page - 7;
    zero_releasing(block + from, to - from);
    const std::size_t first_page = 2 * page, n_pages = (to / page * page - first_page) / page;
    std::vector<unsigned char> resident(n_pages);
    REQUIRE(mincore(block + first_page, n_pages * page, resident.data()) == 0);
    std::size_t kept = 0;
    for (unsigned char r : resident) kept += r & 1;
    CHECK(kept == 0);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < bytes; ++i)
        wrong += block[i] != (i >= from && i < to ? 0 : 0xAB);
    CHECK(wrong == 0);
    release_zeroed(block);
}

TEST_CASE("InlineWordTable::clear_region empties one partition and keeps the others", "[text]") {
    InlineWordTable<2> table;
    std::vector<std::string> words;
    for (int i = 0; i < 200'000; ++i) words.push_back("w" + std::to_string(i));
    auto key_of = [](const std::string& w) {
        WordKey<2> key;
        const auto* p = reinterpret_cast<const uint8_t*>(w.data());
        REQUIRE(load_key(p, w.size(), p + w.size(), key));
        return key;
    };
    for (std::size_t i = 0; i < words.size(); ++i) {
        const WordKey<2> key = key_of(words[i]);
        table.add(key, hash_key(key), i, 2);
    }
    const std::size_t p = 5, in_p = table.region_size(p);
    REQUIRE(in_p > 0);
    table.clear_region(p);
    CHECK(table.size() == words.size() - in_p);
    CHECK(table.region_size(p) == 0);
    std::size_t found = 0, in_cleared = 0;
    for (std::size_t i = 0; i < words.size(); ++i) {
        WordKey<2> key = key_of(words[i]);
        const uint64_t h = hash_key(key);
        const auto* slot = table.find(key, h);
        if (partition_of(h) == p) {
            ++in_cleared;
            CHECK(slot == nullptr);
            table.add(key, h, i);  // the region takes words again
        } else if (slot && slot->count == 2 && slot->first == i) {
            ++found;
        }
    }
    CHECK(in_cleared == in_p);
    CHECK(found == words.size() - in_p);
    CHECK(table.region_size(p) == in_p);
}
