use super::*;

fn local(dir: &std::path::Path) -> Storage {
    Storage::open(&StorageConfig::Local {
        root: dir.join("files"),
    })
    .unwrap()
}

#[tokio::test]
async fn the_local_folder_does_what_every_backend_does() {
    let dir = tempfile::tempdir().unwrap();
    let storage = local(dir.path());
    assert_eq!(storage.kind(), "local");
    crate::conformance::run(&storage, "suite", dir.path()).await;
}

#[tokio::test]
async fn local_keys_are_paths_under_the_root_and_a_file_moves_in_by_rename() {
    let dir = tempfile::tempdir().unwrap();
    let storage = local(dir.path());
    let partial = dir.path().join("upload.part");
    std::fs::write(&partial, b"png bytes").unwrap();

    storage.put_file("uploads/ab.png", &partial).await.unwrap();

    assert!(!partial.exists(), "moved, not copied");
    let stored = dir.path().join("files/uploads/ab.png");
    assert_eq!(std::fs::read(stored).unwrap(), b"png bytes");
    assert_eq!(storage.signed_url("uploads/ab.png").await.unwrap(), None);
}
