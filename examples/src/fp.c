/* Floating-point kernels: dot products, a small matrix multiply, Newton
 * square roots, a polynomial, float/double/integer conversions. Results are
 * printed as integers (scaled) and as raw bits, so every rounding shows. */
#include "rt.h"

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static float dotf(const float *a, const float *b, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void matmul(const double *a, const double *b, double *c, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
}

static double newton_sqrt(double x)
{
    double g = x > 1 ? x / 2 : 1;
    for (int i = 0; i < 40; i++)
        g = 0.5 * (g + x / g);
    return g;
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static double va[256], vb[256], ma[64], mb[64], mc[64];
static float fa[256], fb[256];

int main(int argc, char **argv)
{
    for (int i = 0; i < 256; i++) {
        va[i] = (i - 100) / 7.0;
        vb[i] = 1.0 / (i + 1);
        fa[i] = (float)va[i];
        fb[i] = (float)(i % 13) - 6.5f;
    }
    for (int i = 0; i < 64; i++) {
        ma[i] = i * 0.25 - 3;
        mb[i] = (i % 7) * 1.5;
    }
    matmul(ma, mb, mc, 8);
    double trace = 0;
    for (int i = 0; i < 8; i++)
        trace += mc[i * 9];
    double d = dot(va, vb, 256);
    float f = dotf(fa, fb, 256);
    double r = newton_sqrt(2.0);
    double poly = 0;
    for (int i = 0; i < 100; i++) {
        double x = i / 50.0 - 1;
        poly += ((3 * x - 2) * x + 0.5) * x - 1;
    }
    print_str("dot   ");
    print_hex(bits(d));
    print_str("\ndotf  ");
    print_hex(bits((double)f));
    print_str("\ntrace ");
    print_u64((uint64_t)(int64_t)(trace * 1000));
    print_str("\nsqrt2 ");
    print_hex(bits(r));
    print_str("\npoly  ");
    print_hex(bits(poly));
    print_str("\nconv  ");
    print_u64((uint64_t)(int64_t)(d * 1e6));
    print_str(" ");
    print_u64((uint64_t)(int64_t)(f * 100.0f));
    print_str("\n");
    return 0;
}
