(ns confman.knossos-check
  "Checks single-register compare-and-set histories for linearizability with Knossos.

  Confman's harness checks its histories with its own checker; this program asks Knossos,
  the checker Jepsen itself uses, for a second verdict on the same files. Each file holds
  one register's history in Jepsen's EDN format, one op map a line. Knossos does not
  partition a history by key, so a run over many keys is written as one file a key, the
  way Jepsen's `independent` checker splits them before handing each to Knossos.

  For each file the program prints one line, `FILE :valid? true|false|:unknown`, or
  `FILE :error MESSAGE` when the file cannot be read or checked, followed for a false or
  unknown verdict by a few indented lines of detail. Exit status: 0 when every file is
  valid; 1 when any is invalid; 2 when none is invalid but some are unknown or in error,
  or on a usage error. An :unknown verdict means Knossos ran out of time or memory: it is
  inconclusive and never counts as a pass."
  (:require [clojure.edn :as edn]
            [clojure.java.io :as io]
            [clojure.string :as str]
            [knossos.competition :as competition]
            [knossos.model :as model])
  (:import (java.io File PushbackReader)))

(def usage
  "Usage: clojure -M:check [--time-limit SECONDS] FILE-OR-DIRECTORY...

  Each FILE is one compare-and-set register's history (EDN, one op map a line).
  A DIRECTORY stands for every *.edn file directly in it, in name order.
  --time-limit  seconds Knossos may spend on each file before answering :unknown
                (default 60).")

(def default-time-limit-s 60)

;; Counterexample lines are cut to this many characters: a final path can print whole
;; models, and the verdict line, not the detail, is what a caller parses.
(def detail-chars-max 240)

;; At most this many distinct reasons from Knossos's final paths are shown.
(def reasons-max 3)

(defn parse-args
  "Returns {:time-limit-s n, :paths [...]}, or {:help true}, or {:error message}."
  [args]
  (loop [args args, opts {:time-limit-s default-time-limit-s, :paths []}]
    (if-let [[arg & more] (seq args)]
      (cond
        (#{"-h" "--help"} arg)
        {:help true}

        (= "--time-limit" arg)
        (let [value (first more)
              n     (when (and value (re-matches #"[1-9][0-9]{0,6}" value))
                      (Long/parseLong value))]
          (if n
            (recur (rest more) (assoc opts :time-limit-s n))
            {:error (str "--time-limit needs a whole number of seconds, got "
                         (pr-str value))}))

        (str/starts-with? arg "-")
        {:error (str "unknown option " arg)}

        :else
        (recur more (update opts :paths conj arg)))
      (if (empty? (:paths opts))
        {:error "no history file or directory given"}
        opts))))

(defn history-files
  "Expands each path into the files to check: a directory into its *.edn files in name
  order. A path that names nothing yields an {:path p :error msg} entry, so that one bad
  argument is reported beside the verdicts of the others rather than instead of them."
  [paths]
  (mapcat (fn [path]
            (let [f (io/file path)]
              (cond
                (.isDirectory f)
                (let [files (->> (.listFiles f)
                                 (filter (fn [^File g]
                                           (and (.isFile g)
                                                (str/ends-with? (.getName g) ".edn"))))
                                 (sort-by (fn [^File g] (.getName g))))]
                  (if (seq files)
                    (map (fn [^File g] {:path (str g)}) files)
                    [{:path path :error "directory holds no .edn file"}]))

                (.isFile f)
                [{:path path}]

                :else
                [{:path path :error "no such file or directory"}])))
          paths))

(defn read-history
  "Reads a history: a sequence of op maps, one a line, as Jepsen writes history.edn; a
  file holding a single vector of ops is accepted too. Tagged literals (a newer Jepsen
  writes ops as records) are read as the plain maps they tag. Every op must be a map
  with :type, :f and :process, since Knossos would otherwise fail deep in its search
  with a message that names neither the file nor the op."
  [path]
  (let [ops (with-open [r (PushbackReader. (io/reader path))]
              (->> (repeatedly #(edn/read {:eof ::eof, :default (fn [_tag value] value)} r))
                   (take-while #(not= ::eof %))
                   vec))
        ops (if (and (= 1 (count ops)) (sequential? (first ops)))
              (vec (first ops))
              ops)]
    (doseq [op ops]
      (when-not (and (map? op) (:type op) (:f op) (contains? op :process))
        (throw (ex-info (str "not an op map with :type, :f and :process: "
                             (pr-str op))
                        {}))))
    ops))

(defn clip
  "Cuts text to detail-chars-max characters."
  [s]
  (if (< detail-chars-max (count s))
    (str (subs s 0 (- detail-chars-max 3)) "...")
    s))

(defn plain-op
  "An op as a plain map with only the keys a reader needs to find it in the file."
  [op]
  (when op
    (select-keys (into {} op) [:process :type :f :value :index])))

(defn counterexample-lines
  "A brief account of an invalid analysis: the first ok operation Knossos could not
  linearize, the last one it could, and why each ordering of the operations concurrent
  with it fails (the message of the inconsistent model ending each final path)."
  [analysis]
  (let [reasons (->> (:final-paths analysis)
                     (keep (fn [path] (-> path last :model :msg)))
                     distinct
                     (take reasons-max))]
    (concat
      [(str "  op:          " (pr-str (plain-op (:op analysis))))
       (str "  previous ok: " (pr-str (plain-op (:previous-ok analysis))))]
      (map #(str "  why:         " %) reasons))))

(defn check-file
  "Runs Knossos's competition analysis (its linear and WGL searches in parallel, the first
  to decide wins) against a compare-and-set register that starts as nil. Returns the
  verdict: true, false, :unknown or :error, having printed it."
  [path time-limit-ms]
  (try
    (let [history  (read-history path)
          analysis (competition/analysis (model/cas-register nil)
                                          history
                                          {:time-limit time-limit-ms})
          valid?   (:valid? analysis)]
      (println path ":valid?" (pr-str valid?))
      (cond
        (false? valid?)
        (doseq [line (counterexample-lines analysis)]
          (println (clip line)))

        (= :unknown valid?)
        (println (clip (str "  cause:       " (pr-str (:cause analysis))))))
      (flush)
      (if (contains? #{true false} valid?) valid? :unknown))
    (catch Throwable t
      (println path ":error" (clip (str (.getSimpleName (class t)) ": "
                                        (str/replace (str (.getMessage t)) #"\s+" " "))))
      (flush)
      :error)))

(defn exit-status
  "0 when every verdict is true; 1 when any is false; 2 otherwise. Unknown and error
  verdicts are inconclusive: they can never make a run pass."
  [verdicts]
  (cond
    (some false? verdicts)        1
    (and (seq verdicts)
         (every? true? verdicts)) 0
    :else                         2))

(defn run
  "Checks every file the arguments name; returns the exit status."
  [args]
  (let [{:keys [help error time-limit-s paths]} (parse-args args)]
    (cond
      help
      (do (println usage) 0)

      error
      (do (binding [*out* *err*]
            (println "knossos-check:" error)
            (println usage))
          2)

      :else
      (exit-status
        (doall
          (for [{:keys [path] :as item} (history-files paths)]
            (if-let [message (:error item)]
              (do (println path ":error" message) (flush) :error)
              (check-file path (* 1000 time-limit-s)))))))))

(defn -main
  [& args]
  (let [status (try
                 (run args)
                 (catch Throwable t
                   (binding [*out* *err*]
                     (println "knossos-check: failed:" (str t)))
                   2))]
    (flush)
    ;; Knossos leaves its search threads and agent pool behind; exiting here keeps a
    ;; lost search from holding the process open after its verdict is printed.
    (shutdown-agents)
    (System/exit status)))
