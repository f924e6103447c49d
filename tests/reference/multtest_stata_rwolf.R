# Data of the published Stata rwolf example in wildrwolf's README, and R's lm p-values.
#
#   Rscript tests/reference/multtest_stata_rwolf.R   (from the repository root; needs MASS)
#
# The README of s3alfisc/wildrwolf (commit 5d811dfcd3787a45885f88ece4bb0a544184d348,
# README.md, "Comparison with Stata's rwolf package") prints the output of Stata's
#   rwolf y1 y2 y3 y4, indepvar(x1) controls(x2) reps(9999)   (after set seed 1)
# on data it makes with the R code below (set.seed(1412), MASS::mvrnorm), and
# wildrwolf's own output on the same data. This script re-creates those data
# (data/multtest_rwolf_readme.csv; the README's unused `splitvar` column left
# out) and stores R's lm estimates and iid p-values of X1 in Y ~ X1 + X2, which
# must equal the printed "Model p-value" column when the data are the same. The
# published numbers are copied into multtest_stata_rwolf.json by hand from the
# README (the "stata" and "wildrwolf" entries); this script keeps them there.
suppressPackageStartupMessages(library(jsonlite))
out_json <- "tests/reference/multtest_stata_rwolf.json"
out_csv <- "tests/reference/data/multtest_rwolf_readme.csv"

set.seed(1412)
N <- 1000
X1 <- rnorm(N)
X2 <- rnorm(N)
rho <- 0.5
sigma <- matrix(rho, 4, 4); diag(sigma) <- 1
u <- MASS::mvrnorm(n = N, mu = rep(0, 4), Sigma = sigma)
Y1 <- 1 + 1 * X1 + X2
Y2 <- 1 + 0.01 * X1 + X2
Y3 <- 1 + 0.4 * X1 + X2
Y4 <- 1 + -0.02 * X1 + X2
for (x in 1:4) {
  var_char <- paste0("Y", x)
  assign(var_char, get(var_char) + u[, x])
}
data <- data.frame(Y1 = Y1, Y2 = Y2, Y3 = Y3, Y4 = Y4, X1 = X1, X2 = X2)
text <- data; text[] <- lapply(data, sprintf, fmt = "%.17g")
write.csv(text, out_csv, row.names = FALSE, quote = FALSE)

lm_x1 <- lapply(c("Y1", "Y2", "Y3", "Y4"), function(y) {
  fit <- lm(as.formula(paste(y, "~ X1 + X2")), data = data)
  co <- summary(fit)$coefficients["X1", ]
  list(estimate = unname(co[1]), std_error = unname(co[2]), t = unname(co[3]),
       p_value = unname(co[4]))
})
names(lm_x1) <- c("y1", "y2", "y3", "y4")

ref <- fromJSON(out_json, simplifyVector = FALSE)
ref$lm <- lm_x1
ref$R <- R.version.string
ref$versions <- list(MASS = as.character(packageVersion("MASS")))
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_json)
