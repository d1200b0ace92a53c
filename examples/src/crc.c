/* Checksums: CRC-32 (table-driven), Adler-32 and FNV-1a over a generated
 * buffer; byte loads, shifts, table lookups, multiply. */
#include "rt.h"

static uint32_t table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--)
        c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n--) {
        a = (a + *p++) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325UL;
    while (n--)
        h = (h ^ *p++) * 0x100000001b3UL;
    return h;
}

static uint8_t buf[1 << 16];

int main(int argc, char **argv)
{
    crc_init();
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7 + (i >> 5));
    print_str("crc32   ");
    print_hex(crc32(buf, sizeof buf));
    print_str("\nadler32 ");
    print_hex(adler32(buf, sizeof buf));
    print_str("\nfnv1a   ");
    print_hex(fnv1a(buf, sizeof buf));
    print_str("\n");
    return 0;
}
