#pragma once
// hqml::app: the main job and what it writes (the pipeline, its HTML report, model folders and their
// JSON). Link the hqml::app target, which adds nlohmann_json to hqml::hqml; the toolkit needs no JSON.

#include <hqml/app/kernel_tuning.hpp>
#include <hqml/app/model_dir.hpp>
#include <hqml/app/persistence.hpp>
#include <hqml/app/pipeline.hpp>
#include <hqml/app/report.hpp>
