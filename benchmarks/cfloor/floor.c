/*
 * floor.c: gornn's native floor. A hand-written, fused C implementation of
 * the seed training loops W1-W3 (LSTM(U) / SimpleRNN(U) / GRU(U), return
 * sequences, Dense(1) per time step, MSE, plain SGD), for one input feature
 * and FLOOR_UNITS (20) units.
 * Each step is forward, loss, backpropagation through time and the SGD
 * update in one function with no allocation; sigmoid and tanh use a
 * polynomial exp. It is a benchmark anchor, not part of the library.
 *
 *     cc -O3 -march=native -o floor floor.c -lm
 * (GNU C, whose default -ffp-contract=fast fuses a*b+c into FMAs; -std=c11
 * would not)
 *     ./floor input.bin [output.bin]
 *
 * input.bin (little endian, written by benchmarks.FloorInput.WriteTo):
 *   int32 magic 0x464e5247 ("GRNF"), version 1, kind (0 LSTM, 1 SimpleRNN,
 *   2 GRU), N samples, T steps, U units, batch, epochs, max steps (0: all);
 *   float64 learning rate;
 *   float32 x[N*T], y[N*T];
 *   float32 kernel [G][1][U], recurrent kernel [G][U][U], bias [rows][U]
 *     (G = 4, 1, 3 gates; rows = 4, 1, 6), dense kernel [U], dense bias [1];
 *   int32 permutation [epochs][N] (the batch order: batch j of epoch e is
 *     perm[e][j*batch ...]).
 * It prints one JSON line: {"seconds": training time, "final_loss": the
 * last epoch's sample-weighted mean batch loss (each before its step),
 * "steps": steps run, "last_loss": the last step's loss}.
 * output.bin, if named: the parameters after training in the input's
 * layout, then the gradients of the last step in the same layout.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LSTM = 0, SRNN = 1, GRU = 2 };

/* e^x: x = n ln2 + r, |r| <= ln2/2 (n by rounding to nearest), a degree-7 polynomial in r, 2^n put
 * into the exponent bits. Relative error a few 1e-8 on [-87, 88]. */
static inline float fexp(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    /* n = round(x / ln2): adding 1.5 * 2^23 rounds to an integer (floorf
     * would keep the compiler from vectorising the loops that call this). */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.42860682030941723212e-6f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float s;
    memcpy(&s, &bits, sizeof s);
    return p * s;
}

static inline float fsigmoid(float x) { return 1.0f / (1.0f + fexp(-x)); }

/* tanh: an odd Taylor polynomial below |x| = 0.3 (error below 1e-7 of the
 * value there), 1 - 2/(e^{2|x|} + 1) above, with the sign put back. */
static inline float ftanh(float x) {
    float a = fabsf(x);
    float x2 = x * x;
    float small = x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315 + x2 * (62.0f / 2835)))));
    float big = 1.0f - 2.0f / (fexp(2.0f * a) + 1.0f);
    big = x < 0 ? -big : big;
    return a < 0.3f ? small : big;
}

typedef struct {
    int kind, n, t, u, g, rows, batch, epochs, maxsteps;
    double lr;
    float *x, *y;
    /* parameters in the file's layout */
    float *w, *r, *b, *dw, *db;
    int32_t *perm;
} problem;

typedef struct {
    /* parameters: kernel w [G*U] (feature 1), packed recurrent kernel
     * rp [U][G*U] and its transpose rt [G*U][U], bias b [rows*U], dense
     * kernel v [U], dense bias c. */
    float *w, *rp, *rt, *b, *v, c;
    float *gw, *grp, *gb, *gv, gc; /* gradients of the last step */
    /* per step state, [T][B][...] */
    float *act, *cell, *tcell, *h, *hz;
    float *pred, *dp, *dh, *dc, *dz, *dhz, *xb, *yb;
} state;

static void *xalloc(size_t n) {
    void *p = calloc(n ? n : 1, 1);
    if (!p) {
        fprintf(stderr, "floor: out of memory\n");
        exit(2);
    }
    return p;
}

static void readn(FILE *f, void *p, size_t size, size_t n) {
    if (fread(p, size, n, f) != n) {
        fprintf(stderr, "floor: input file too short\n");
        exit(2);
    }
}

static void writen(FILE *f, const void *p, size_t size, size_t n) {
    if (fwrite(p, size, n, f) != n) {
        fprintf(stderr, "floor: write failed\n");
        exit(2);
    }
}

#define INLINE static inline __attribute__((always_inline))

/* The number of units is a compile-time constant, so that every loop over
 * units has a fixed length: the seed's 20 unless built with
 * -DFLOOR_UNITS=u. The input must have that many. */
#ifndef FLOOR_UNITS
#define FLOOR_UNITS 20
#endif

/* One training step on batch xb, yb [B][T]; returns the loss before the
 * update. kind and U are compile-time constants in the copies below.
 * Every inner loop writes one array that nothing else in it reads
 * (mostly a local one), so that the compiler vectorises it. */
INLINE float step_impl(const problem *pb, state *s, const int B, const int kind, const int U) {
    const int T = pb->t, G = kind == LSTM ? 4 : kind == SRNN ? 1 : 3, GU = G * U;
    float *const w = s->w, *const rp = s->rp, *const rt = s->rt, *const bias = s->b, *const v = s->v;
    float *const act = s->act, *const cell = s->cell, *const tcell = s->tcell, *const hs = s->h, *const hzs = s->hz;
    const float *const xb = s->xb, *const yb = s->yb;
    float *const pred = s->pred, *const dps = s->dp;

    /* forward */
    for (int t = 0; t < T; t++) {
        for (int bi = 0; bi < B; bi++) {
            const size_t at = (size_t)t * B + bi, prev = at - B;
            const float xt = xb[bi * T + t];
            float hp[U], z[GU], hz[GU], a[GU], h[U];
            for (int j = 0; j < GU; j++) z[j] = xt * w[j] + bias[j];
            for (int j = 0; j < GU; j++) hz[j] = kind == GRU ? bias[GU + j] : 0.0f;
            if (t) {
                memcpy(hp, hs + prev * U, sizeof hp);
                for (int i = 0; i < U; i++) {
                    const float hi = hp[i];
                    const float *row = rp + (size_t)i * GU;
                    for (int j = 0; j < GU; j++) hz[j] += hi * row[j];
                }
            } else {
                memset(hp, 0, sizeof hp);
            }
            if (kind == LSTM) {
                float cp[U], c[U], tc[U];
                if (t) memcpy(cp, cell + prev * U, sizeof cp);
                else memset(cp, 0, sizeof cp);
                for (int j = 0; j < GU; j++) z[j] += hz[j];
                /* gates i, f, g, o: one loop per activation, simple
                 * enough for the compiler's if-conversion */
                for (int j = 0; j < 2 * U; j++) a[j] = fsigmoid(z[j]);
                for (int j = 2 * U; j < 3 * U; j++) a[j] = ftanh(z[j]);
                for (int j = 3 * U; j < 4 * U; j++) a[j] = fsigmoid(z[j]);
                for (int j = 0; j < U; j++) c[j] = a[j] * a[2 * U + j] + a[U + j] * cp[j];
                for (int j = 0; j < U; j++) tc[j] = ftanh(c[j]);
                for (int j = 0; j < U; j++) h[j] = a[3 * U + j] * tc[j];
                memcpy(cell + at * U, c, sizeof c);
                memcpy(tcell + at * U, tc, sizeof tc);
            } else if (kind == SRNN) {
                for (int j = 0; j < U; j++) a[j] = ftanh(z[j] + hz[j]);
                memcpy(h, a, sizeof h);
            } else {
                float hz2[U];
                for (int j = 0; j < U; j++) {
                    float zg = fsigmoid(z[j] + hz[j]), rg = fsigmoid(z[U + j] + hz[U + j]);
                    float hh = ftanh(z[2 * U + j] + rg * hz[2 * U + j]);
                    a[j] = zg, a[U + j] = rg, a[2 * U + j] = hh, hz2[j] = hz[2 * U + j];
                    h[j] = zg * hp[j] + (1.0f - zg) * hh;
                }
                memcpy(hzs + at * U, hz2, sizeof hz2);
            }
            memcpy(act + at * GU, a, sizeof a);
            memcpy(hs + at * U, h, sizeof h);
            float p = s->c;
            for (int j = 0; j < U; j++) p += h[j] * v[j];
            pred[bi * T + t] = p;
        }
    }

    /* loss: mean of squared errors over B*T, and its gradient */
    float sum = 0.0f;
    const float scale = 2.0f / (float)(B * T);
    for (int k = 0; k < B * T; k++) {
        float e = pred[k] - yb[k];
        sum += e * e;
        dps[k] = e * scale;
    }
    const float loss = sum / (float)(B * T);

    /* backward through time */
    float *const gw = s->gw, *const grp = s->grp, *const gb = s->gb, *const gv = s->gv;
    float *const dhs = s->dh, *const dcs = s->dc;
    memset(gw, 0, sizeof(float) * GU);
    memset(grp, 0, sizeof(float) * U * GU);
    memset(gb, 0, sizeof(float) * pb->rows * U);
    memset(gv, 0, sizeof(float) * U);
    float gc = 0.0f;
    memset(dhs, 0, sizeof(float) * B * U);
    memset(dcs, 0, sizeof(float) * B * U);
    for (int t = T - 1; t >= 0; t--) {
        for (int bi = 0; bi < B; bi++) {
            const size_t at = (size_t)t * B + bi, prev = at - B;
            const float xt = xb[bi * T + t];
            const float dpt = dps[bi * T + t];
            float hp[U], h[U], a[GU], dh[U], dz[GU], dhz[GU], dhn[U];
            if (t) memcpy(hp, hs + prev * U, sizeof hp);
            else memset(hp, 0, sizeof hp);
            memcpy(h, hs + at * U, sizeof h);
            memcpy(a, act + at * GU, sizeof a);
            memcpy(dhn, dhs + (size_t)bi * U, sizeof dhn);
            gc += dpt;
            float gvl[U];
            memcpy(gvl, gv, sizeof gvl);
            for (int j = 0; j < U; j++) {
                gvl[j] += dpt * h[j];
                dh[j] = dpt * v[j] + dhn[j];
            }
            memcpy(gv, gvl, sizeof gvl);
            if (kind == LSTM) {
                float cp[U], tc[U], dcn[U];
                if (t) memcpy(cp, cell + prev * U, sizeof cp);
                else memset(cp, 0, sizeof cp);
                memcpy(tc, tcell + at * U, sizeof tc);
                memcpy(dcn, dcs + (size_t)bi * U, sizeof dcn);
                for (int j = 0; j < U; j++) {
                    float ig = a[j], fg = a[U + j], gg = a[2 * U + j], og = a[3 * U + j];
                    float dc = dh[j] * og * (1.0f - tc[j] * tc[j]) + dcn[j];
                    dz[j] = dc * gg * ig * (1.0f - ig);
                    dz[U + j] = dc * cp[j] * fg * (1.0f - fg);
                    dz[2 * U + j] = dc * ig * (1.0f - gg * gg);
                    dz[3 * U + j] = dh[j] * tc[j] * og * (1.0f - og);
                    dcn[j] = dc * fg;
                }
                memcpy(dcs + (size_t)bi * U, dcn, sizeof dcn);
                memcpy(dhz, dz, sizeof dhz);
                memset(dhn, 0, sizeof dhn);
            } else if (kind == SRNN) {
                for (int j = 0; j < U; j++) dz[j] = dh[j] * (1.0f - a[j] * a[j]);
                memcpy(dhz, dz, sizeof dhz);
                memset(dhn, 0, sizeof dhn);
            } else {
                float hz2[U];
                memcpy(hz2, hzs + at * U, sizeof hz2);
                for (int j = 0; j < U; j++) {
                    float zg = a[j], rg = a[U + j], hh = a[2 * U + j];
                    float da2 = dh[j] * (1.0f - zg) * (1.0f - hh * hh);
                    float da0 = dh[j] * (hp[j] - hh) * zg * (1.0f - zg);
                    float da1 = da2 * hz2[j] * rg * (1.0f - rg);
                    dz[j] = dhz[j] = da0;
                    dz[U + j] = dhz[U + j] = da1;
                    dz[2 * U + j] = da2;
                    dhz[2 * U + j] = da2 * rg;
                    dhn[j] = dh[j] * zg;
                }
                for (int j = 0; j < GU; j++) gb[GU + j] += dhz[j];
            }
            for (int j = 0; j < GU; j++) gw[j] += xt * dz[j];
            for (int j = 0; j < GU; j++) gb[j] += dz[j];
            if (t) {
                for (int i = 0; i < U; i++) {
                    const float hi = hp[i];
                    float *row = grp + (size_t)i * GU;
                    for (int j = 0; j < GU; j++) row[j] += hi * dhz[j];
                }
                /* dhn += R dhz, in four independent partial sums (one
                 * chain of GU dependent FMAs would wait on latency) */
                float acc[4][U];
                memset(acc, 0, sizeof acc);
                for (int j = 0; j < GU; j += 4)
                    for (int q = 0; q < 4; q++) {
                        const float d = dhz[j + q];
                        const float *row = rt + (size_t)(j + q) * U;
                        for (int i = 0; i < U; i++) acc[q][i] += d * row[i];
                    }
                for (int i = 0; i < U; i++) dhn[i] += (acc[0][i] + acc[1][i]) + (acc[2][i] + acc[3][i]);
            }
            memcpy(dhs + (size_t)bi * U, dhn, sizeof dhn);
        }
    }
    s->gc = gc;

    /* SGD, in float64 as gornn's optimizer does */
    const double lr = pb->lr;
    for (int j = 0; j < GU; j++) w[j] = (float)((double)w[j] - lr * (double)gw[j]);
    for (int j = 0; j < U * GU; j++) rp[j] = (float)((double)rp[j] - lr * (double)grp[j]);
    for (int j = 0; j < pb->rows * U; j++) bias[j] = (float)((double)bias[j] - lr * (double)gb[j]);
    for (int j = 0; j < U; j++) v[j] = (float)((double)v[j] - lr * (double)gv[j]);
    s->c = (float)((double)s->c - lr * (double)gc);
    for (int i = 0; i < U; i++)
        for (int j = 0; j < GU; j++) rt[(size_t)j * U + i] = rp[(size_t)i * GU + j];
    return loss;
}

/* One copy per kind for FLOOR_UNITS units. */
static float step_lstm(const problem *pb, state *s, int B) { return step_impl(pb, s, B, LSTM, FLOOR_UNITS); }
static float step_srnn(const problem *pb, state *s, int B) { return step_impl(pb, s, B, SRNN, FLOOR_UNITS); }
static float step_gru(const problem *pb, state *s, int B) { return step_impl(pb, s, B, GRU, FLOOR_UNITS); }

static float step(const problem *pb, state *s, int B) {
    switch (pb->kind) {
    case LSTM: return step_lstm(pb, s, B);
    case SRNN: return step_srnn(pb, s, B);
    default: return step_gru(pb, s, B);
    }
}

/* pack: recurrent kernel [G][U][U] -> [U][G*U] */
static void pack(const float *src, float *dst, int g, int u) {
    for (int k = 0; k < g; k++)
        for (int i = 0; i < u; i++)
            for (int j = 0; j < u; j++) dst[(size_t)i * g * u + k * u + j] = src[((size_t)k * u + i) * u + j];
}

static void unpack(const float *src, float *dst, int g, int u) {
    for (int k = 0; k < g; k++)
        for (int i = 0; i < u; i++)
            for (int j = 0; j < u; j++) dst[((size_t)k * u + i) * u + j] = src[(size_t)i * g * u + k * u + j];
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: floor input.bin [output.bin]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    int32_t hd[10];
    readn(f, hd, sizeof hd[0], 10);
    if (hd[0] != 0x464e5247 || hd[1] != 1) {
        fprintf(stderr, "floor: not a version-1 floor input\n");
        return 2;
    }
    problem pb = {.kind = hd[2], .n = hd[3], .t = hd[4], .u = hd[5], .batch = hd[6], .epochs = hd[7], .maxsteps = hd[8]};
    if (pb.kind < 0 || pb.kind > 2 || pb.n < 1 || pb.t < 1 || pb.u < 1 || pb.u > 4096 || pb.batch < 1 || pb.epochs < 0 ||
        pb.maxsteps < 0 || (long)pb.n * pb.t > (1L << 28)) {
        fprintf(stderr, "floor: bad header\n");
        return 2;
    }
    if (pb.u != FLOOR_UNITS) {
        fprintf(stderr, "floor: the input has %d units; this program was built for %d (rebuild with -DFLOOR_UNITS=%d)\n", pb.u,
                FLOOR_UNITS, pb.u);
        return 2;
    }
    readn(f, &pb.lr, sizeof pb.lr, 1);
    pb.g = pb.kind == LSTM ? 4 : pb.kind == SRNN ? 1 : 3;
    pb.rows = pb.kind == GRU ? 6 : pb.g;
    const int N = pb.n, T = pb.t, U = pb.u, G = pb.g, GU = G * U, B = pb.batch < N ? pb.batch : N;
    pb.x = xalloc(sizeof(float) * N * T);
    pb.y = xalloc(sizeof(float) * N * T);
    readn(f, pb.x, sizeof(float), (size_t)N * T);
    readn(f, pb.y, sizeof(float), (size_t)N * T);
    pb.w = xalloc(sizeof(float) * GU);
    pb.r = xalloc(sizeof(float) * U * GU);
    pb.b = xalloc(sizeof(float) * pb.rows * U);
    pb.dw = xalloc(sizeof(float) * U);
    pb.db = xalloc(sizeof(float));
    readn(f, pb.w, sizeof(float), GU);
    readn(f, pb.r, sizeof(float), (size_t)U * GU);
    readn(f, pb.b, sizeof(float), (size_t)pb.rows * U);
    readn(f, pb.dw, sizeof(float), U);
    readn(f, pb.db, sizeof(float), 1);
    pb.perm = xalloc(sizeof(int32_t) * ((size_t)pb.epochs * N + 1));
    readn(f, pb.perm, sizeof(int32_t), (size_t)pb.epochs * N);
    fclose(f);
    for (long k = 0; k < (long)pb.epochs * N; k++)
        if (pb.perm[k] < 0 || pb.perm[k] >= N) {
            fprintf(stderr, "floor: permutation index out of range\n");
            return 2;
        }

    state s = {0};
    s.w = xalloc(sizeof(float) * GU);
    s.rp = xalloc(sizeof(float) * U * GU);
    s.rt = xalloc(sizeof(float) * U * GU);
    s.b = xalloc(sizeof(float) * pb.rows * U);
    s.v = xalloc(sizeof(float) * U);
    s.gw = xalloc(sizeof(float) * GU);
    s.grp = xalloc(sizeof(float) * U * GU);
    s.gb = xalloc(sizeof(float) * pb.rows * U);
    s.gv = xalloc(sizeof(float) * U);
    memcpy(s.w, pb.w, sizeof(float) * GU);
    pack(pb.r, s.rp, G, U);
    for (int i = 0; i < U; i++)
        for (int j = 0; j < GU; j++) s.rt[(size_t)j * U + i] = s.rp[(size_t)i * GU + j];
    memcpy(s.b, pb.b, sizeof(float) * pb.rows * U);
    memcpy(s.v, pb.dw, sizeof(float) * U);
    s.c = pb.db[0];
    size_t tb = (size_t)T * B;
    s.act = xalloc(sizeof(float) * tb * GU);
    s.cell = xalloc(sizeof(float) * tb * U);
    s.tcell = xalloc(sizeof(float) * tb * U);
    s.h = xalloc(sizeof(float) * tb * U);
    s.hz = xalloc(sizeof(float) * tb * U);
    s.pred = xalloc(sizeof(float) * tb);
    s.dp = xalloc(sizeof(float) * tb);
    s.dh = xalloc(sizeof(float) * B * U);
    s.dc = xalloc(sizeof(float) * B * U);
    s.xb = xalloc(sizeof(float) * tb);
    s.yb = xalloc(sizeof(float) * tb);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double epoch_loss = NAN;
    float last = NAN;
    long steps = 0;
    int done = 0;
    for (int e = 0; e < pb.epochs && !done; e++) {
        const int32_t *perm = pb.perm + (size_t)e * N;
        double total = 0.0;
        for (int lo = 0; lo < N; lo += B) {
            int nb = N - lo < B ? N - lo : B;
            for (int k = 0; k < nb; k++) {
                memcpy(s.xb + (size_t)k * T, pb.x + (size_t)perm[lo + k] * T, sizeof(float) * T);
                memcpy(s.yb + (size_t)k * T, pb.y + (size_t)perm[lo + k] * T, sizeof(float) * T);
            }
            last = step(&pb, &s, nb);
            total += (double)last * nb;
            steps++;
            if (pb.maxsteps && steps >= pb.maxsteps) {
                done = 1;
                break;
            }
        }
        if (!done) epoch_loss = total / N;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (isnan(epoch_loss))
        printf("{\"seconds\": %.9f, \"final_loss\": null, \"steps\": %ld, \"last_loss\": %.9g}\n", secs, steps, last);
    else
        printf("{\"seconds\": %.9f, \"final_loss\": %.12g, \"steps\": %ld, \"last_loss\": %.9g}\n", secs, epoch_loss, steps, last);

    if (argc == 3) {
        FILE *o = fopen(argv[2], "wb");
        if (!o) {
            perror(argv[2]);
            return 2;
        }
        float *tmp = xalloc(sizeof(float) * U * GU);
        writen(o, s.w, sizeof(float), GU);
        unpack(s.rp, tmp, G, U);
        writen(o, tmp, sizeof(float), (size_t)U * GU);
        writen(o, s.b, sizeof(float), (size_t)pb.rows * U);
        writen(o, s.v, sizeof(float), U);
        writen(o, &s.c, sizeof(float), 1);
        writen(o, s.gw, sizeof(float), GU);
        unpack(s.grp, tmp, G, U);
        writen(o, tmp, sizeof(float), (size_t)U * GU);
        writen(o, s.gb, sizeof(float), (size_t)pb.rows * U);
        writen(o, s.gv, sizeof(float), U);
        writen(o, &s.gc, sizeof(float), 1);
        if (fclose(o) != 0) {
            perror(argv[2]);
            return 2;
        }
    }
    return 0;
}
