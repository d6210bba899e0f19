/*
 * tests/fuzz/fuzz_main.c -- the regression driver: a main() for the fuzz targets in the
 * ordinary build, so `make check` replays every committed input without libFuzzer.
 *
 * `fuzz_<t> FILE|DIR...` feeds each file (each file of each directory) to
 * LLVMFuzzerTestOneInput once.  Without arguments it replays $SDB_SRCDIR/tests/fuzz/regress/<t>
 * (the inputs of past findings) and $SDB_SRCDIR/tests/fuzz/corpus/<t> (the seed corpus),
 * <t> being the program name after "fuzz_"; a missing directory is no error, an empty run is.
 * A finding crashes the process (a sanitizer report or FUZZ_CHECK's abort), which fails the
 * test; the last line printed names the input being run.
 *
 * Invariants: single-threaded; reads files only.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* run_file -- read one file whole and run it; -1 when it cannot be read. */
static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, got;
    int ret = -1;

    if (f == NULL)
        return -1;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            if (buf == NULL)
                goto done;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    if (ferror(f))
        goto done;
    fprintf(stderr, "fuzz: running %s (%zu bytes)\n", path, n);
    /* A private copy of exactly n bytes, so ASan sees any read past the input. */
    {
        uint8_t *exact = malloc(n ? n : 1);

        if (exact == NULL)
            goto done;
        memcpy(exact, buf, n);
        LLVMFuzzerTestOneInput(exact, n);
        free(exact);
    }
    ret = 0;
done:
    free(buf);
    fclose(f);
    return ret;
}

/* cmp_names -- qsort order for a directory's entries (a reproducible run order). */
static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* run_path -- a file, or every regular file of a directory in name order; *count grows by
 * the inputs run.  A missing path is skipped when `optional`. */
static int
run_path(const char *path, bool optional, int *count)
{
    struct stat st;
    struct dirent *de;
    char **names = NULL, full[4096];
    size_t n = 0, cap = 0;
    DIR *d;
    int ret = 0;

    if (stat(path, &st) != 0)
        return optional ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) {
        ret = run_file(path);
        *count += ret == 0;
        return ret;
    }
    if ((d = opendir(path)) == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(*names));
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        snprintf(full, sizeof(full), "%s/%s", path, names[i]);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(full) == 0)
                (*count)++;
            else
                ret = -1;
        }
        free(names[i]);
    }
    free(names);
    return ret;
}

int
main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/'), *top = getenv("SDB_SRCDIR");
    char dir[4096];
    int count = 0, ret = 0;

    name = name ? name + 1 : argv[0];
    if (strncmp(name, "fuzz_", 5) == 0)
        name += 5;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (run_path(argv[i], false, &count) != 0) {
                fprintf(stderr, "fuzz: cannot read %s\n", argv[i]);
                ret = 1;
            }
    } else {
        static const char *const kinds[] = {"regress", "corpus"};

        for (size_t k = 0; k < 2; k++) {
            snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s/%s", top ? top : ".", kinds[k], name);
            if (run_path(dir, true, &count) != 0)
                ret = 1;
        }
    }
    printf("fuzz_%s: %d inputs replayed\n", name, count);
    if (count == 0) {
        fprintf(stderr, "fuzz: no inputs found (set SDB_SRCDIR or name files)\n");
        ret = 1;
    }
    return ret;
}
