# A reglab sweep file in R (hdf5r): /summary, one run's curves and weights, the per-arm table.
# Usage: Rscript tools/analysis_example.R RESULTS.h5   (Debian: apt-get install r-cran-hdf5r)
library(hdf5r)
path <- commandArgs(trailingOnly = TRUE)[1]
if (is.na(path) || !file.exists(path)) stop("usage: Rscript tools/analysis_example.R RESULTS.h5")
if (!is.h5file(path)) stop(path, ": not an HDF5 file, so not a reglab results file")
f <- h5file(path, mode = "r")
if (!f$exists("summary")) stop(path, ": no /summary, so not the merged file of a reglab sweep")
summary <- f[["summary"]]$read()  # compound -> data.frame, one column per member

# One run: a 1-D dataset per metric -> a data.frame with one row per epoch.
run <- f[["runs"]][[summary$cell_id[1]]]
metrics <- names(run[["curves"]])
curves <- as.data.frame(setNames(lapply(metrics, function(m) run[["curves"]][[m]]$read()),
                                 metrics))
kernel <- run[["weights/dense_0/kernel"]]$read()  # column-major: units x inputs; t(kernel)
cat(sprintf("run %s (%s): %d epochs of %s; dense_0/kernel %d x %d\n", summary$cell_id[1],
            h5attr(run, "status"), nrow(curves), paste(metrics, collapse = ", "),
            nrow(kernel), ncol(kernel)))
f$close_all()

# Arms: the factor columns lie between `name` and `seed`; labels as `reglab report` prints them.
cols <- names(summary)
factors <- cols[seq_along(cols) > match("name", cols) & seq_along(cols) < match("seed", cols)]
shortest <- function(x) {  # integers below 1e15 in digits, else the shortest %g that reads back
  if (is.finite(x) && abs(x) < 1e15 && x == trunc(x) && 1 / x != -Inf) return(sprintf("%.0f", x))
  for (p in 1:17) if (as.numeric(s <- sprintf("%.*g", p, x)) == x) break
  s
}
label <- function(k) {
  paste0(k, "=", if (is.numeric(summary[[k]])) sapply(summary[[k]], shortest) else summary[[k]])
}
summary$arm <- "(all)"
if (length(factors)) summary$arm <- do.call(paste, c(lapply(factors, label), sep = ", "))

# Per arm, in order of first appearance: complete cells only, as `reglab report`.
done <- summary[summary$status == "complete", ]
arms <- unique(summary$arm)
n <- sapply(arms, function(a) sum(done$arm == a))
acc <- sapply(arms, function(a) mean(done$final_test_accuracy[done$arm == a]))
gap <- sapply(arms, function(a) mean(done$gap_final[done$arm == a]))
w <- max(nchar(c("arm", arms)))
cat(sprintf("%-*s  %3s  %19s  %9s\n", w, "arm", "n", "final_test_accuracy", "gap_final"))
cat(sprintf("%-*s  %3d  %19.6f  %9.6f\n", w, arms, n, acc, gap), sep = "")
