# Writes the held-out series of this folder and baselines.csv, R's scores on
# them; run with `Rscript make.R` here (Debian r-base-core, r-cran-forecast 8.20).
suppressMessages(library(forecast))
stamp <- function(x) {
  tt <- time(x); fr <- frequency(x); yr <- floor(tt + 1e-6)
  if (fr == 12) return(data.frame(date = sprintf("%d-%02d", yr, round((tt - yr) * 12) + 1)))
  if (fr == 4) return(data.frame(date = sprintf("%dQ%d", yr, round((tt - yr) * 4) + 1)))
  data.frame(time = as.numeric(tt))
}
write <- function(x, name) {
  d <- if (is.matrix(x)) as.data.frame(x) else data.frame(value = as.numeric(x))
  write.csv(cbind(stamp(x), d), paste0(name, ".csv"), row.names = FALSE)
}
series <- list(airpassengers = AirPassengers, nottem = nottem, usaccdeaths = USAccDeaths,
  ukdriverdeaths = Seatbelts[, "drivers"], co2 = co2, ukgas = UKgas, austres = austres,
  lynx = lynx, nile = Nile, lakehuron = LakeHuron, discoveries = discoveries, nhtemp = nhtemp)
for (nm in names(series)) if (nm != "ukdriverdeaths") write(series[[nm]], nm)
write(Seatbelts[, c("drivers", "kms", "PetrolPrice", "law")], "ukdriverdeaths")
stopifnot(all(as.numeric(Seatbelts[, "drivers"]) == as.numeric(UKDriverDeaths)))
smape <- function(a, f) mean(200 * abs(a - f) / (abs(a) + abs(f)))
mase <- function(a, f, train, m) mean(abs(a - f)) / mean(abs(diff(train, lag = m)))
sink("baselines.csv"); cat("series,h,method,rmse,mae,smape,mase\n")
for (nm in names(series)) {
  y <- series[[nm]]; m <- frequency(y); h <- if (m == 12) 24 else if (m == 4) 8 else 10
  n <- length(y); tr <- head(as.numeric(y), n - h); test <- tail(as.numeric(y), h)
  train <- window(y, end = time(y)[n - h])
  fs <- list(naive = naive(train, h)$mean, snaive = if (m > 1) snaive(train, h)$mean else naive(train, h)$mean,
    ets = forecast(ets(train), h)$mean, arima = forecast(auto.arima(train), h)$mean, theta = thetaf(train, h)$mean)
  for (k in names(fs)) { f <- as.numeric(fs[[k]])
    cat(sprintf("%s,%d,%s,%.4f,%.4f,%.3f,%.4f\n", nm, h, k, sqrt(mean((test - f)^2)), mean(abs(test - f)),
      smape(test, f), mase(test, f, tr, max(m, 1)))) }
}
sink()
