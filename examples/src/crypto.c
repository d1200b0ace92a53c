/* The A64 cryptographic extension through ACLE intrinsics, as OpenSSL-style
 * code uses it: AES-128 (key schedule in C, CTR encryption with AESE/AESMC,
 * ECB decryption with AESD/AESIMC), SHA-1 and SHA-256 compression
 * (SHA1C/P/M/H/SU0/SU1, SHA256H/H2/SU0/SU1), SHA-512 (SHA512H/H2/SU0/SU1),
 * GHASH's carry-less multiply (PMULL/PMULL2 on 64-bit lanes) and CRC-32/CRC-32C
 * (CRC32X/CRC32CX). Known answers first (FIPS-197 C.1, FIPS 180 "abc"), then
 * the same work over a generated buffer, argv[1] KiB (default 64), with
 * checksums. Built with -march=armv8.2-a+crypto+fp16+dotprod+sha3. */
#include "rt.h"
#include <arm_acle.h>
#include <arm_neon.h>

static uint8_t sbox[256];

static uint8_t gf_mul(uint8_t a, uint8_t b)
{
    uint8_t r = 0;
    while (b) {
        if (b & 1)
            r ^= a;
        a = (uint8_t)((a << 1) ^ (a & 0x80 ? 0x1b : 0));
        b >>= 1;
    }
    return r;
}

static void sbox_init(void)
{
    for (int x = 0; x < 256; x++) {
        uint8_t inv = 0;
        for (int y = 1; y < 256 && x; y++)
            if (gf_mul((uint8_t)x, (uint8_t)y) == 1) {
                inv = (uint8_t)y;
                break;
            }
        uint8_t s = inv;
        for (int i = 1; i < 5; i++)
            s ^= (uint8_t)((inv << i) | (inv >> (8 - i)));
        sbox[x] = s ^ 0x63;
    }
}

/* AES-128 key schedule: 11 round keys */
static void aes_expand(const uint8_t key[16], uint8x16_t rk[11])
{
    uint8_t w[176];
    memcpy(w, key, 16);
    uint8_t rcon = 1;
    for (int i = 16; i < 176; i += 4) {
        uint8_t t[4] = {w[i - 4], w[i - 3], w[i - 2], w[i - 1]};
        if (i % 16 == 0) {
            uint8_t t0 = t[0];
            t[0] = sbox[t[1]] ^ rcon;
            t[1] = sbox[t[2]];
            t[2] = sbox[t[3]];
            t[3] = sbox[t0];
            rcon = gf_mul(rcon, 2);
        }
        for (int k = 0; k < 4; k++)
            w[i + k] = w[i + k - 16] ^ t[k];
    }
    for (int r = 0; r < 11; r++)
        rk[r] = vld1q_u8(w + 16 * r);
}

static uint8x16_t aes_encrypt(uint8x16_t b, const uint8x16_t rk[11])
{
    for (int r = 0; r < 9; r++)
        b = vaesmcq_u8(vaeseq_u8(b, rk[r]));
    return veorq_u8(vaeseq_u8(b, rk[9]), rk[10]);
}

/* the equivalent inverse cipher: InvMixColumns applied to the middle keys */
static void aes_decrypt_keys(const uint8x16_t rk[11], uint8x16_t dk[11])
{
    dk[0] = rk[10];
    for (int r = 1; r < 10; r++)
        dk[r] = vaesimcq_u8(rk[10 - r]);
    dk[10] = rk[0];
}

static uint8x16_t aes_decrypt(uint8x16_t b, const uint8x16_t dk[11])
{
    for (int r = 0; r < 9; r++)
        b = vaesimcq_u8(vaesdq_u8(b, dk[r]));
    return veorq_u8(vaesdq_u8(b, dk[9]), dk[10]);
}

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

/* one 64-byte block into the SHA-256 state (abcd, efgh) */
static void sha256_block(uint32x4_t st[2], const uint8_t *p)
{
    uint32x4_t abcd = st[0], efgh = st[1];
    uint32x4_t w[4];
    for (int i = 0; i < 4; i++)
        w[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * i)));
    for (int i = 0; i < 16; i++) {
        uint32x4_t wk = vaddq_u32(w[i & 3], vld1q_u32(K256 + 4 * i));
        uint32x4_t a0 = abcd;
        abcd = vsha256hq_u32(abcd, efgh, wk);
        efgh = vsha256h2q_u32(efgh, a0, wk);
        if (i < 12)
            w[i & 3] = vsha256su1q_u32(vsha256su0q_u32(w[i & 3], w[(i + 1) & 3]),
                                       w[(i + 2) & 3], w[(i + 3) & 3]);
    }
    st[0] = vaddq_u32(st[0], abcd);
    st[1] = vaddq_u32(st[1], efgh);
}

/* one 64-byte block into the SHA-1 state (abcd, e) */
static void sha1_block(uint32x4_t *abcd_io, uint32_t *e_io, const uint8_t *p)
{
    static const uint32_t k[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
    uint32x4_t abcd = *abcd_io;
    uint32_t e = *e_io;
    uint32x4_t w[4];
    for (int i = 0; i < 4; i++)
        w[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * i)));
    for (int i = 0; i < 20; i++) {
        uint32x4_t wk = vaddq_u32(w[i & 3], vdupq_n_u32(k[i / 5]));
        uint32_t e1 = vsha1h_u32(vgetq_lane_u32(abcd, 0));
        if (i < 5)
            abcd = vsha1cq_u32(abcd, e, wk);
        else if (i < 10 || i >= 15)
            abcd = vsha1pq_u32(abcd, e, wk);
        else
            abcd = vsha1mq_u32(abcd, e, wk);
        e = e1;
        if (i < 16)
            w[i & 3] = vsha1su1q_u32(vsha1su0q_u32(w[i & 3], w[(i + 1) & 3], w[(i + 2) & 3]),
                                     w[(i + 3) & 3]);
    }
    *abcd_io = vaddq_u32(*abcd_io, abcd);
    *e_io += e;
}

static const uint64_t K512[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
    0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
    0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
    0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
    0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
    0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
    0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
    0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
    0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
    0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
    0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817};

/* one 128-byte block into the SHA-512 state s[0..3] = (ab, cd, ef, gh), each
 * vector holding (x[0], x[1]) as lanes (0, 1) -- the layout the SHA512H/H2
 * instructions were designed for (Arm's and the Linux kernel's sequence). */
static void sha512_block(uint64x2_t s[4], const uint8_t *p)
{
    uint64x2_t w[8];
    for (int i = 0; i < 8; i++)
        w[i] = vreinterpretq_u64_u8(vrev64q_u8(vld1q_u8(p + 16 * i)));
    uint64x2_t ab = s[0], cd = s[1], ef = s[2], gh = s[3];
    for (int i = 0; i < 40; i++) {
        uint64x2_t wk = vaddq_u64(w[i & 7], vld1q_u64(K512 + 2 * i));
        /* two rounds: wk's lanes swapped into place, added to gh */
        uint64x2_t t = vaddq_u64(vextq_u64(wk, wk, 1), gh);
        t = vsha512hq_u64(t, vextq_u64(ef, gh, 1), vextq_u64(cd, ef, 1));
        uint64x2_t ngh = vsha512h2q_u64(t, cd, ab);
        uint64x2_t ncd = vaddq_u64(cd, t);
        /* rotate the state by two words */
        gh = ef;
        ef = ncd;
        cd = ab;
        ab = ngh;
        if (i < 32)
            w[i & 7] = vsha512su1q_u64(vsha512su0q_u64(w[i & 7], w[(i + 1) & 7]),
                                       w[(i + 7) & 7], vextq_u64(w[(i + 4) & 7],
                                                                  w[(i + 5) & 7], 1));
    }
    s[0] = vaddq_u64(s[0], ab);
    s[1] = vaddq_u64(s[1], cd);
    s[2] = vaddq_u64(s[2], ef);
    s[3] = vaddq_u64(s[3], gh);
}

/* GHASH's multiply in GF(2^128), bit-reflected as GCM defines it */
static uint64x2_t gf128_mul(uint64x2_t x, uint64x2_t h)
{
    poly64_t x0 = vgetq_lane_u64(x, 0), x1 = vgetq_lane_u64(x, 1);
    poly64_t h0 = vgetq_lane_u64(h, 0), h1 = vgetq_lane_u64(h, 1);
    uint64x2_t lo = vreinterpretq_u64_p128(vmull_p64(x0, h0));
    uint64x2_t hi = vreinterpretq_u64_p128(vmull_p64(x1, h1));
    uint64x2_t mid = veorq_u64(vreinterpretq_u64_p128(vmull_p64(x0, h1)),
                               vreinterpretq_u64_p128(vmull_p64(x1, h0)));
    uint64_t r0 = vgetq_lane_u64(lo, 0), r1 = vgetq_lane_u64(lo, 1) ^ vgetq_lane_u64(mid, 0);
    uint64_t r2 = vgetq_lane_u64(hi, 0) ^ vgetq_lane_u64(mid, 1), r3 = vgetq_lane_u64(hi, 1);
    /* reduce the 256-bit product modulo x^128 + x^7 + x^2 + x + 1 */
    for (int k = 0; k < 2; k++) {
        uint64_t t = k ? r1 : r0;
        uint64x2_t f = vreinterpretq_u64_p128(vmull_p64(t, 0x87));
        if (k) {
            r2 ^= vgetq_lane_u64(f, 0);
            r3 ^= vgetq_lane_u64(f, 1);
        } else {
            r1 ^= vgetq_lane_u64(f, 0);
            r2 ^= vgetq_lane_u64(f, 1);
        }
    }
    uint64x2_t out = vdupq_n_u64(r2);
    return vsetq_lane_u64(r3, out, 1);
}

static void print_vec(const char *name, uint8x16_t v)
{
    uint8_t b[16];
    vst1q_u8(b, v);
    print_str(name);
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; i++) {
        hi = hi << 8 | b[i];
        lo = lo << 8 | b[8 + i];
    }
    print_hex(hi);
    print_str(" ");
    print_hex(lo);
    print_str("\n");
}

static void print_words(const char *name, const uint32_t *w, int n)
{
    print_str(name);
    for (int i = 0; i < n; i++) {
        print_str(i ? " " : "");
        print_hex(w[i]);
    }
    print_str("\n");
}

static const uint32_t H256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
static const uint64_t H512[8] = {0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b,
                                 0xa54ff53a5f1d36f1, 0x510e527fade682d1, 0x9b05688c2b3e6c1f,
                                 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179};

static void sha256_init(uint32x4_t st[2])
{
    st[0] = vld1q_u32(H256);
    st[1] = vld1q_u32(H256 + 4);
}

static void sha512_init(uint64x2_t s[4])
{
    for (int i = 0; i < 4; i++)
        s[i] = vld1q_u64(H512 + 2 * i);
}

/* "abc", padded to one block of `n` bytes (64 or 128), length field big-endian */
static void abc_block(uint8_t *b, int n)
{
    memset(b, 0, n);
    b[0] = 'a';
    b[1] = 'b';
    b[2] = 'c';
    b[3] = 0x80;
    b[n - 1] = 24;
}

static uint8_t buf[1 << 20];

int main(int argc, char **argv)
{
    size_t kib = 64;
    if (argc > 1) {
        kib = 0;
        for (const char *c = argv[1]; *c >= '0' && *c <= '9'; c++)
            kib = kib * 10 + (size_t)(*c - '0');
        if (kib == 0 || kib > sizeof buf / 1024)
            kib = 64;
    }
    size_t n = kib * 1024;
    sbox_init();

    /* FIPS-197 appendix C.1 */
    uint8_t key[16], pt[16];
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
        pt[i] = (uint8_t)(i * 0x11);
    }
    uint8x16_t rk[11], dk[11];
    aes_expand(key, rk);
    aes_decrypt_keys(rk, dk);
    uint8x16_t ct = aes_encrypt(vld1q_u8(pt), rk);
    print_vec("aes-128 fips-197 c.1: ", ct);
    print_vec("decrypted:            ", aes_decrypt(ct, dk));

    uint8_t block[128];
    abc_block(block, 64);
    uint32x4_t st[2];
    sha256_init(st);
    sha256_block(st, block);
    uint32_t words[8];
    vst1q_u32(words, st[0]);
    vst1q_u32(words + 4, st[1]);
    print_words("sha-256(abc): ", words, 8);

    uint32x4_t abcd = vld1q_u32(H256); /* reuse: SHA-1's H0..H3 differ, set below */
    uint32_t h1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    abcd = vld1q_u32(h1);
    uint32_t e = h1[4];
    sha1_block(&abcd, &e, block);
    vst1q_u32(words, abcd);
    words[4] = e;
    print_words("sha-1(abc):   ", words, 5);

    abc_block(block, 128);
    uint64x2_t s512[4];
    sha512_init(s512);
    sha512_block(s512, block);
    print_str("sha-512(abc): ");
    for (int i = 0; i < 4; i++) {
        print_str(i ? " " : "");
        print_hex(vgetq_lane_u64(s512[i], 0));
        print_str(" ");
        print_hex(vgetq_lane_u64(s512[i], 1));
    }
    print_str("\n");

    /* the same work over n generated bytes */
    uint64_t x = 0x9E3779B97F4A7C15UL;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    uint8x16_t ctr = vld1q_u8(pt), acc = vdupq_n_u8(0);
    for (size_t i = 0; i < n; i += 16) {
        uint8x16_t ks = aes_encrypt(ctr, rk);
        uint8x16_t c = veorq_u8(vld1q_u8(buf + i), ks);
        acc = veorq_u8(acc, c);
        ctr = vreinterpretq_u8_u64(vaddq_u64(vreinterpretq_u64_u8(ctr), vdupq_n_u64(1)));
    }
    print_vec("aes-ctr xor of blocks: ", acc);
    uint8x16_t round = vdupq_n_u8(0);
    for (size_t i = 0; i < n; i += 16)
        round = veorq_u8(round, veorq_u8(aes_decrypt(aes_encrypt(vld1q_u8(buf + i), rk), dk),
                                         vld1q_u8(buf + i)));
    print_vec("aes round trip (zero): ", round);

    sha256_init(st);
    for (size_t i = 0; i < n; i += 64)
        sha256_block(st, buf + i);
    vst1q_u32(words, st[0]);
    vst1q_u32(words + 4, st[1]);
    print_words("sha-256 blocks: ", words, 8);

    abcd = vld1q_u32(h1);
    e = h1[4];
    for (size_t i = 0; i < n; i += 64)
        sha1_block(&abcd, &e, buf + i);
    vst1q_u32(words, abcd);
    words[4] = e;
    print_words("sha-1 blocks:   ", words, 5);

    sha512_init(s512);
    for (size_t i = 0; i < n; i += 128)
        sha512_block(s512, buf + i);
    print_str("sha-512 blocks: ");
    print_hex(vgetq_lane_u64(s512[0], 0));
    print_str(" ");
    print_hex(vgetq_lane_u64(s512[3], 1));
    print_str("\n");

    uint64x2_t h = vreinterpretq_u64_u8(aes_encrypt(vdupq_n_u8(0), rk)), g = vdupq_n_u64(0);
    for (size_t i = 0; i < n; i += 16)
        g = gf128_mul(veorq_u64(g, vreinterpretq_u64_u8(vld1q_u8(buf + i))), h);
    print_vec("ghash: ", vreinterpretq_u8_u64(g));

    uint32_t crc = 0xFFFFFFFFu, crcc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v;
        memcpy(&v, buf + i, 8);
        crc = __crc32d(crc, v);
        crcc = __crc32cd(crcc, v);
    }
    print_str("crc32 ");
    print_hex(crc ^ 0xFFFFFFFFu);
    print_str(" crc32c ");
    print_hex(crcc ^ 0xFFFFFFFFu);
    print_str("\n");
    return 0;
}
