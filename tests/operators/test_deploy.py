

def test_a_package_folder_is_deployed_as_a_zip_a_glue_job_imports(tmp_path):
    import io
    import zipfile

    from airflow_glue_flow.operators.deploy import package_zip

    package = tmp_path / "outer" / "inner"
    package.mkdir(parents=True)
    (tmp_path / "outer" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "mod.py").write_text("X = 2\n")

    data = package_zip(package)

    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["outer/__init__.py", "outer/inner/__init__.py", "outer/inner/mod.py"]
    assert package_zip(package) == data  # same files, same bytes: not uploaded again
