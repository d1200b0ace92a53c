/* A float kernel built with -Ofast: gcc links crtfastmath.o, whose constructor sets
 * FPCR.FZ (flush to zero) before main, and vectorizes and contracts the loops (FMLA,
 * FDIV, FSQRT on vectors). An n-body step in doubles and a damped wave in floats; the
 * checksums are printed with printf. fastmath.elf [SCALE]: SCALE times the steps
 * (default 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define NB 32
#define NW 1024

static double px[NB], py[NB], pz[NB], vx[NB], vy[NB], vz[NB], mass[NB];
static float wave[NW], prev[NW], next[NW];

static unsigned rng = 12345;
static double uniform(void) {
    rng = rng * 1103515245u + 12345u;
    return (double)(rng >> 8) / (double)(1u << 24);
}

static void nbody_step(double dt) {
    for (int i = 0; i < NB; i++) {
        double ax = 0, ay = 0, az = 0;
        for (int j = 0; j < NB; j++) {
            double dx = px[j] - px[i], dy = py[j] - py[i], dz = pz[j] - pz[i];
            double d2 = dx * dx + dy * dy + dz * dz + 1e-3;
            double inv = mass[j] / (d2 * sqrt(d2));
            ax += dx * inv;
            ay += dy * inv;
            az += dz * inv;
        }
        vx[i] += ax * dt;
        vy[i] += ay * dt;
        vz[i] += az * dt;
    }
    for (int i = 0; i < NB; i++) {
        px[i] += vx[i] * dt;
        py[i] += vy[i] * dt;
        pz[i] += vz[i] * dt;
    }
}

static void wave_step(float c, float damp) {
    for (int i = 1; i < NW - 1; i++)
        next[i] = (2.0f * wave[i] - prev[i] + c * (wave[i - 1] - 2.0f * wave[i] + wave[i + 1])) * damp;
    for (int i = 0; i < NW; i++) {
        prev[i] = wave[i];
        wave[i] = next[i];
    }
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    for (int i = 0; i < NB; i++) {
        px[i] = uniform(); py[i] = uniform(); pz[i] = uniform();
        vx[i] = vy[i] = vz[i] = 0;
        mass[i] = 0.5 + uniform();
    }
    for (int i = 0; i < NW; i++)
        wave[i] = prev[i] = (float)exp(-((i - NW / 2) * (i - NW / 2)) / 150.0);
    for (int step = 0; step < 4 * scale; step++)
        nbody_step(1e-3);
    for (int step = 0; step < 40 * scale; step++)
        wave_step(0.25f, 0.995f);
    double e = 0, w = 0;
    for (int i = 0; i < NB; i++)
        e += 0.5 * mass[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
    for (int i = 0; i < NW; i++)
        w += wave[i] * wave[i];
    printf("kinetic energy %.9g\nwave energy %.9g\n", e, w);
    return 0;
}
